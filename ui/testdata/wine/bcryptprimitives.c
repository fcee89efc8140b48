/*
 * ProcessPrng for Wine 8.0 (Debian 12), which lacks bcryptprimitives.dll.
 * Go's Windows runtime (since Go 1.24) takes its random numbers from it and
 * stops at start without it; every Windows 10 and 11 has it. Only the
 * tray's Wine test (ui/wine_test.go) puts this into Wine's system32; the
 * product never ships it.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
	while (length > 0) {
		ULONG n = length > 0x10000000 ? 0x10000000 : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}
