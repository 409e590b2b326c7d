/* kern_return_t copy_user_bytes(void *dst, const void *src, size_t len)
 * The one instruction that touches user memory for copyin/copyout. A fault
 * on it is turned by the page-fault handler into a jump to the fixup, which
 * returns KERN_INVALID_ADDRESS (1) instead of panicking. */
.text
.global copy_user_bytes
.type copy_user_bytes, @function
copy_user_bytes:
  movq %rdx, %rcx
.global copy_user_insn
copy_user_insn:
  rep movsb
  xorl %eax, %eax
  ret
.global copy_user_fixup
copy_user_fixup:
  movl $1, %eax
  ret
.size copy_user_bytes, . - copy_user_bytes
