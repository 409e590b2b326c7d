/* What a child task created with inherited memory gets of each region
 * (task_create with inherit_memory): Mach's values. */
#ifndef MACH_VM_INHERIT_H
#define MACH_VM_INHERIT_H

typedef unsigned int vm_inherit_t;

#define VM_INHERIT_SHARE ((vm_inherit_t)0) /* both tasks see one memory */
#define VM_INHERIT_COPY ((vm_inherit_t)1)  /* the child gets a copy-on-write copy */
#define VM_INHERIT_NONE ((vm_inherit_t)2)  /* the child gets a hole */
#define VM_INHERIT_DEFAULT VM_INHERIT_COPY
#define VM_INHERIT_LAST_VALID VM_INHERIT_NONE

#endif
