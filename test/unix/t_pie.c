/* t_pie: a static PIE (built with -static-pie -fPIE, musl's rcrt1.o) that
 * relocates itself: constructors, relocated data, the auxv. */
#include "check.h"
#include <elf.h>
#include <stdint.h>
#include <sys/auxv.h>

extern void _start(void);
extern Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));

static int ctor_ran;
static __attribute__((constructor)) void ctor(void) { ctor_ran = 42; }

static const char greeting[] = "hello from a static PIE";
static const char *greeting_ptr = greeting;          /* needs R_X86_64_RELATIVE */
static void (*start_ptr)(void) = _start;

int main(int argc, char **argv)
{
	CHECK(argc >= 1 && argv[argc] == NULL);
	CHECK_EQ(ctor_ran, 42);
	CHECK(strcmp(greeting, "hello from a static PIE") == 0);
	CHECK(greeting_ptr == greeting);
	CHECK(strcmp(greeting_ptr, "hello from a static PIE") == 0);
	CHECK(start_ptr == _start);

	CHECK_EQ(getauxval(AT_PAGESZ), 4096);
	CHECK_EQ(getauxval(AT_ENTRY), (uintptr_t)_start);
	unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM), any = 0;
	CHECK(rnd != NULL);
	for (int i = 0; i < 16; i++)
		any |= rnd[i];
	CHECK(any != 0);

	/* Load bias from PT_DYNAMIC and where _DYNAMIC is (there is no
	 * PT_PHDR in a static PIE); the link-time entry plus the bias is
	 * where _start is now. */
	Elf64_Phdr *ph = (Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long phnum = getauxval(AT_PHNUM);
	CHECK(ph != NULL && phnum > 0);
	CHECK_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	long bias = -1;
	Elf64_Ehdr *eh = NULL;
	for (unsigned long i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			bias = (uintptr_t)_DYNAMIC - ph[i].p_vaddr;
	CHECK(bias != -1);
	CHECK_EQ(bias % 4096, 0);
	for (unsigned long i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			eh = (Elf64_Ehdr *)(ph[i].p_vaddr + bias);
	CHECK(eh != NULL);
	CHECK_EQ((uintptr_t)eh + eh->e_phoff, (uintptr_t)ph);
	CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(eh->e_type, ET_DYN);
	CHECK_EQ(eh->e_entry + bias, (uintptr_t)_start);
	CHECK_EQ(eh->e_phnum, phnum);
	t_pass();
}
