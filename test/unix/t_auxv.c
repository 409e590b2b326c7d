/* t_auxv: the initial stack: argc/argv/envp and the auxiliary vector. */
#include "check.h"
#include <elf.h>
#include <stdint.h>
#include <sys/auxv.h>

extern void _start(void);

int main(int argc, char **argv, char **envp)
{
	CHECK(argc >= 1);
	CHECK(argv[argc] == NULL);
	CHECK(argv[0] != NULL && argv[0][0] != 0);
	CHECK(((uintptr_t)argv & 7) == 0);

	/* The auxv follows envp's terminating NULL. */
	char **e = envp;
	while (*e)
		e++;
	unsigned long *av = (unsigned long *)(e + 1), val[64] = { 0 };
	int have[64] = { 0 }, n = 0;
	for (; av[0] != AT_NULL; av += 2) {
		CHECK(++n < 100);
		if (av[0] < 64) {
			have[av[0]] = 1;
			val[av[0]] = av[1];
			CHECK_EQ(getauxval(av[0]), av[1]);         /* musl agrees */
		}
	}
	static const int needed[] = { AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY,
		AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP, AT_EXECFN };
	for (unsigned i = 0; i < sizeof needed / sizeof *needed; i++) {
		if (!have[needed[i]])
			t_print("missing auxv entry %d\n", needed[i]);
		CHECK(have[needed[i]]);
	}

	CHECK_EQ(val[AT_PAGESZ], 4096);
	CHECK_EQ(val[AT_UID], 0);
	CHECK_EQ(val[AT_EUID], 0);
	CHECK_EQ(val[AT_GID], 0);
	CHECK_EQ(val[AT_EGID], 0);
	CHECK_EQ(val[AT_SECURE], 0);
	if (have[AT_BASE])
		CHECK_EQ(val[AT_BASE], 0);                 /* static: no interpreter */
	CHECK_EQ(val[AT_ENTRY], (uintptr_t)_start);

	unsigned char *rnd = (unsigned char *)val[AT_RANDOM], any = 0;
	CHECK(rnd != NULL);
	for (int i = 0; i < 16; i++)
		any |= rnd[i];
	CHECK(any != 0);

	CHECK(val[AT_EXECFN] != 0);
	CHECK(strcmp((char *)val[AT_EXECFN], argv[0]) == 0);

	/* AT_PHDR/AT_PHNUM describe this (non-PIE) program's headers. */
	CHECK_EQ(val[AT_PHENT], sizeof(Elf64_Phdr));
	Elf64_Phdr *ph = (Elf64_Phdr *)val[AT_PHDR];
	Elf64_Ehdr *eh = NULL;
	int loads = 0;
	for (unsigned long i = 0; i < val[AT_PHNUM]; i++) {
		if (ph[i].p_type == PT_PHDR)
			CHECK_EQ(ph[i].p_vaddr, val[AT_PHDR]);
		if (ph[i].p_type == PT_LOAD) {
			loads++;
			if (ph[i].p_offset == 0)
				eh = (Elf64_Ehdr *)ph[i].p_vaddr;
		}
	}
	CHECK(loads >= 1);
	CHECK(eh != NULL);                                  /* headers are mapped */
	CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(eh->e_phnum, val[AT_PHNUM]);
	CHECK_EQ((uintptr_t)eh + eh->e_phoff, val[AT_PHDR]);
	CHECK_EQ(eh->e_entry, val[AT_ENTRY]);
	t_pass();
}
