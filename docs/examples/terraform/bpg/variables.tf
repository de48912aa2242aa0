variable "proxmox_endpoint" {
  description = "Proxmox VE URL, for example https://pve1.lab.example:8006/."
  type        = string
}

variable "proxmox_insecure" {
  description = "Accept a self-signed Proxmox VE certificate."
  type        = bool
  default     = false
}

variable "template_vm_id" {
  description = "VMID of the cloud-init template VM to clone."
  type        = number
  default     = 9000
}

variable "template_node" {
  description = "Proxmox node that holds the template."
  type        = string
  default     = "pve1"
}

variable "nodes" {
  description = "The k3s VMs by name: role (server or agent), Proxmox node, VMID and host number in the subnet."
  type = map(object({
    role        = string
    node        = string
    vm_id       = number
    host_number = number
  }))
  default = {
    "k3s-master-1" = { role = "server", node = "pve1", vm_id = 201, host_number = 21 }
    "k3s-worker-1" = { role = "agent", node = "pve1", vm_id = 202, host_number = 22 }
    "k3s-worker-2" = { role = "agent", node = "pve2", vm_id = 203, host_number = 23 }
  }

  validation {
    condition     = alltrue([for vm in values(var.nodes) : contains(["server", "agent"], vm.role)])
    error_message = "Each role must be server or agent."
  }
}

variable "subnet" {
  description = "Node network in CIDR notation."
  type        = string
  default     = "192.168.1.0/24"
}

variable "gateway" {
  description = "Default gateway and DNS server of the VMs."
  type        = string
  default     = "192.168.1.1"
}

variable "datastore_id" {
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
