/* The small static binary the fork+exec+wait benchmark runs: exits at once. */
int main(void)
{
	return 0;
}
