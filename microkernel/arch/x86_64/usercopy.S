/* kern_return_t copy_user_bytes(void *dst, const void *src, size_t len)
 * The two instructions that touch user memory for copyin/copyout (quad
 * words, then the odd bytes: messages are copied eight bytes a step). A
 * fault on either is turned by the page-fault handler into a jump to the
 * fixup, which returns KERN_INVALID_ADDRESS (1) instead of panicking. */
.text
.global copy_user_bytes
.type copy_user_bytes, @function
copy_user_bytes:
  movq %rdx, %rcx
  shrq $3, %rcx
.global copy_user_insn
copy_user_insn:
  rep movsq
  movq %rdx, %rcx
  andq $7, %rcx
.global copy_user_insn_tail
copy_user_insn_tail:
  rep movsb
  xorl %eax, %eax
  ret
.global copy_user_fixup
copy_user_fixup:
  movl $1, %eax
  ret
.size copy_user_bytes, . - copy_user_bytes
