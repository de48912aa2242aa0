output "addresses" {
  description = "Static address of every VM, by name."
  value = merge(
    { for vm in proxmox_vm_qemu.server : vm.name => split("/", split("ip=", vm.ipconfig0)[1])[0] },
    { for vm in proxmox_vm_qemu.agent : vm.name => split("/", split("ip=", vm.ipconfig0)[1])[0] },
  )
}
