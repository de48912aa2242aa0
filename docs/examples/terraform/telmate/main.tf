# One k3s server and var.agent_count agents cloned from a cloud-init template,
# with static addresses and the Proxmox tags the homelab.k3s.terraform inventory reads.

locals {
  prefix_length = split("/", var.subnet)[1]
}

resource "proxmox_vm_qemu" "server" {
  count = 1

  name        = "k3s-master-${count.index + 1}"
  description = "k3s server, managed by Terraform"
  target_node = var.target_nodes[0]
  vmid        = var.vmid_base
  tags        = "k3s;k3s-server"

  clone      = var.template_name
  full_clone = true
  agent      = 1
  os_type    = "cloud-init"
  memory     = 4096
  scsihw     = "virtio-scsi-single"
  boot       = "order=scsi0"

  cpu {
    cores   = 2
    sockets = 1
    type    = "host"
  }

  disks {
    ide {
      ide2 {
        cloudinit {
          storage = var.storage
        }
      }
    }
    scsi {
      scsi0 {
        disk {
          size     = "32G"
          storage  = var.storage
          iothread = true
          discard  = true
        }
      }
    }
  }

  network {
    id     = 0
    model  = "virtio"
    bridge = var.bridge
  }

  ipconfig0  = "ip=${cidrhost(var.subnet, var.first_host_number)}/${local.prefix_length},gw=${var.gateway}"
  nameserver = var.gateway
  ciuser     = var.ssh_user
  sshkeys    = var.ssh_public_key
}

resource "proxmox_vm_qemu" "agent" {
  count = var.agent_count

  name        = "k3s-worker-${count.index + 1}"
  description = "k3s agent, managed by Terraform"
  target_node = var.target_nodes[(count.index + 1) % length(var.target_nodes)]
  vmid        = var.vmid_base + 1 + count.index
  tags        = "k3s;k3s-agent"

  clone      = var.template_name
  full_clone = true
  agent      = 1
  os_type    = "cloud-init"
  memory     = 4096
  scsihw     = "virtio-scsi-single"
  boot       = "order=scsi0"

  cpu {
    cores   = 2
    sockets = 1
    type    = "host"
  }

  disks {
    ide {
      ide2 {
        cloudinit {
          storage = var.storage
        }
      }
    }
    scsi {
      scsi0 {
        disk {
          size     = "32G"
          storage  = var.storage
          iothread = true
          discard  = true
        }
      }
    }
  }

  network {
    id     = 0
    model  = "virtio"
    bridge = var.bridge
  }

  ipconfig0  = "ip=${cidrhost(var.subnet, var.first_host_number + 1 + count.index)}/${local.prefix_length},gw=${var.gateway}"
  nameserver = var.gateway
  ciuser     = var.ssh_user
  sshkeys    = var.ssh_public_key

  depends_on = [proxmox_vm_qemu.server]
}
