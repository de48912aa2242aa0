terraform {
  required_version = ">= 1.5.0"

  required_providers {
    proxmox = {
      source  = "telmate/proxmox"
      version = "3.0.2-rc09"
    }
  }
}

# The API token comes from the environment:
#   export PM_API_TOKEN_ID='terraform@pve!k3s'
#   export PM_API_TOKEN_SECRET='...'
provider "proxmox" {
  pm_api_url      = var.proxmox_api_url
  pm_tls_insecure = var.proxmox_tls_insecure
}
