output "addresses" {
  description = "Static address of every VM, by name."
  value       = { for name, vm in proxmox_virtual_environment_vm.node : name => split("/", vm.initialization[0].ip_config[0].ipv4[0].address)[0] }
}
