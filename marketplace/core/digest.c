/* SHA-256 as text. */
#include "digest.h"

#include <openssl/evp.h>

bool sha256_hex(const void *data, size_t len, char *out, size_t digits)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[32];
	unsigned int n = 0;
	out[0] = '\0';
	if (digits < 2 || digits > 64 || digits % 2 != 0 ||
	    EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL) != 1 || n != sizeof digest)
		return false;
	for (size_t i = 0; i < digits / 2; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[digits] = '\0';
	return true;
}

bool sha256_bytea(const void *data, size_t len, char out[67])
{
	out[0] = '\\';
	out[1] = 'x';
	if (sha256_hex(data, len, out + 2, 64))
		return true;
	out[0] = '\0';
	return false;
}
