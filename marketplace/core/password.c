/* scrypt password hashes in a self-describing string. */
#include "password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define CURRENT_LOG2_N 17
#define CURRENT_R 8
#define CURRENT_P 1
#define SALT_BYTES 16
#define KEY_BYTES 32

/* Bounds of what we compute: a stored hash outside them is malformed. */
static bool params_ok(int log2_n, int r, int p)
{
	return log2_n >= 10 && log2_n <= 22 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

static bool derive(const char *password, const unsigned char *salt, size_t salt_len, int log2_n,
		   int r, int p, unsigned char key[KEY_BYTES])
{
	if (!params_ok(log2_n, r, p))
		return false;
	uint64_t n = (uint64_t)1 << log2_n;
	/* scrypt needs 128 * N * r bytes (plus p * 128 * r); allow that, with room. */
	uint64_t maxmem = 128u * n * (uint64_t)r + 128u * (uint64_t)r * (uint64_t)p + (1u << 20);
	return EVP_PBE_scrypt(password, strlen(password), salt, salt_len, n, (uint64_t)r, (uint64_t)p,
			      maxmem, key, KEY_BYTES) == 1;
}

bool password_hash_with(const char *password, int log2_n, int r, int p, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[SALT_BYTES], key[KEY_BYTES];
	char salt64[32], key64[48];
	if (RAND_bytes(salt, sizeof salt) != 1 || !derive(password, salt, sizeof salt, log2_n, r, p, key))
		return false;
	EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof salt);
	EVP_EncodeBlock((unsigned char *)key64, key, sizeof key);
	OPENSSL_cleanse(key, sizeof key);
	int n = snprintf(out, PASSWORD_HASH_MAX, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", log2_n, r, p, salt64, key64);
	return n > 0 && n < PASSWORD_HASH_MAX;
}

bool password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
	return password_hash_with(password, CURRENT_LOG2_N, CURRENT_R, CURRENT_P, out);
}

struct parsed {
	int log2_n, r, p;
	unsigned char salt[SALT_BYTES + 4];
	int salt_len;
	unsigned char key[KEY_BYTES + 4];
	int key_len;
};

/* Decodes base64 text of known padded length into out; returns the byte count or -1. */
static int decode64(const char *text, size_t len, unsigned char *out, size_t out_size)
{
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > out_size)
		return -1;
	int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0)
		return -1;
	for (size_t i = len; i > 0 && text[i - 1] == '='; i--)
		n--; /* EVP_DecodeBlock counts padding as zero bytes */
	return n;
}

static bool parse(const char *encoded, struct parsed *out)
{
	char salt64[64], key64[64];
	int consumed = 0;
	if (sscanf(encoded, "$scrypt$ln=%d,r=%d,p=%d$%63[A-Za-z0-9+/=]$%63[A-Za-z0-9+/=]%n",
		   &out->log2_n, &out->r, &out->p, salt64, key64, &consumed) != 5 ||
	    encoded[consumed] != '\0')
		return false;
	if (!params_ok(out->log2_n, out->r, out->p))
		return false;
	out->salt_len = decode64(salt64, strlen(salt64), out->salt, sizeof out->salt);
	out->key_len = decode64(key64, strlen(key64), out->key, sizeof out->key);
	return out->salt_len >= 8 && out->key_len == KEY_BYTES;
}

bool password_verify(const char *password, const char *encoded)
{
	struct parsed h;
	unsigned char key[KEY_BYTES];
	if (!parse(encoded, &h) ||
	    !derive(password, h.salt, (size_t)h.salt_len, h.log2_n, h.r, h.p, key))
		return false;
	bool same = CRYPTO_memcmp(key, h.key, KEY_BYTES) == 0;
	OPENSSL_cleanse(key, sizeof key);
	return same;
}

bool password_needs_rehash(const char *encoded)
{
	struct parsed h;
	return !parse(encoded, &h) || h.log2_n < CURRENT_LOG2_N || h.r < CURRENT_R || h.p < CURRENT_P;
}

static char dummy_hash[PASSWORD_HASH_MAX];

static void make_dummy_hash(void)
{
	/* PASSWORD_DUMMY_PLAINTEXT with ln=17,r=8,p=1, made in advance for when hashing fails. */
	static const char made_in_advance[] =
		"$scrypt$ln=17,r=8,p=1$aIOpzTC/0zf/0ltSQJvPtQ==$D4Z9Byk7onjyIeCzWoAi65uulNfPExEVX+ruM2XwHpQ=";
	if (!password_hash(PASSWORD_DUMMY_PLAINTEXT, dummy_hash))
		snprintf(dummy_hash, sizeof dummy_hash, "%s", made_in_advance);
}

const char *password_dummy_hash(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, make_dummy_hash);
	return dummy_hash;
}
