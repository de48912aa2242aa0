variable "proxmox_api_url" {
  description = "Proxmox VE API URL, ending in /api2/json."
  type        = string
}

variable "proxmox_tls_insecure" {
  description = "Accept a self-signed Proxmox VE certificate."
  type        = bool
  default     = false
}

variable "template_name" {
  description = "Name of the cloud-init template VM to clone."
  type        = string
  default     = "debian-12-cloudinit"
}

variable "target_nodes" {
  description = "Proxmox nodes the VMs are spread over, in turn."
  type        = list(string)
  default     = ["pve1", "pve2"]
}

variable "agent_count" {
  description = "Number of k3s agents."
  type        = number
  default     = 2
}

variable "vmid_base" {
  description = "VMID of the server; the agents follow it."
  type        = number
  default     = 201
}

variable "subnet" {
  description = "Node network in CIDR notation."
  type        = string
  default     = "192.168.1.0/24"
}

variable "first_host_number" {
  description = "Host number of the server's address in the subnet; the agents follow it."
  type        = number
  default     = 21
}

variable "gateway" {
  description = "Default gateway and DNS server of the VMs."
  type        = string
  default     = "192.168.1.1"
}

variable "storage" {
  description = "Proxmox storage for the disks and the cloud-init drive."
  type        = string
  default     = "local-lvm"
}

variable "bridge" {
  description = "Proxmox bridge of the VMs' network interface."
  type        = string
  default     = "vmbr0"
}

variable "ssh_user" {
  description = "User cloud-init creates."
  type        = string
  default     = "debian"
}

variable "ssh_public_key" {
  description = "Public key authorized for ssh_user."
  type        = string
}
