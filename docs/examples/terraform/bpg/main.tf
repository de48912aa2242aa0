# One k3s server and two agents cloned from a cloud-init template, with static addresses
# and the Proxmox tags the homelab.k3s.terraform inventory reads (k3s-server / k3s-agent).

locals {
  prefix_length = split("/", var.subnet)[1]
}

resource "proxmox_virtual_environment_vm" "node" {
  for_each = var.nodes

  name        = each.key
  description = "k3s ${each.value.role}, managed by Terraform"
  node_name   = each.value.node
  vm_id       = each.value.vm_id
  tags        = ["k3s", "k3s-${each.value.role}"]

  clone {
    vm_id     = var.template_vm_id
    node_name = var.template_node
    full      = true
  }

  agent {
    enabled = true
  }

  cpu {
    cores = 2
    type  = "x86-64-v2-AES"
  }

  memory {
    dedicated = 4096
  }

  disk {
    datastore_id = var.datastore_id
    interface    = "scsi0"
    size         = 32
    iothread     = true
    discard      = "on"
  }

  network_device {
    bridge = var.bridge
  }

  initialization {
    datastore_id = var.datastore_id

    ip_config {
      ipv4 {
        address = "${cidrhost(var.subnet, each.value.host_number)}/${local.prefix_length}"
        gateway = var.gateway
      }
    }

    dns {
      servers = [var.gateway]
    }

    user_account {
      username = var.ssh_user
      keys     = [var.ssh_public_key]
    }
  }
}
