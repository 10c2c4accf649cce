/* Query strings of list endpoints: known parameters, limit and keyset cursor. */
#include "query.h"

#include <sys/queue.h>

#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problem.h"
#include "request.h"
#include "text.h"
#include "validate.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool parse_limit(const char *text, int *limit)
{
	if (text == NULL) {
		*limit = 20;
		return true;
	}
	char *end;
	if (text[0] < '0' || text[0] > '9')
		return false; /* strtol would also take spaces, '+' and '-' */
	long v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || v < 1 || v > 100)
		return false;
	*limit = (int)v;
	return true;
}

static bool b64url_encode(const char *text, char *out, size_t out_size)
{
	size_t len = strlen(text), o = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)text[i] << 16;
		size_t chunk = len - i < 3 ? len - i : 3;
		if (chunk > 1)
			v |= (unsigned char)text[i + 1] << 8;
		if (chunk > 2)
			v |= (unsigned char)text[i + 2];
		for (size_t k = 0; k <= chunk; k++) {
			if (o + 1 >= out_size)
				return false;
			out[o++] = b64url[(v >> (18 - 6 * k)) & 63];
		}
	}
	if (o >= out_size)
		return false;
	out[o] = '\0';
	return true;
}

static bool b64url_decode(const char *encoded, size_t len, char *out, size_t out_size)
{
	size_t o = 0;
	unsigned v = 0;
	int bits = 0;
	for (const char *p = encoded; p < encoded + len; p++) {
		const char *at = strchr(b64url, *p);
		if (at == NULL)
			return false;
		v = (v << 6) | (unsigned)(at - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			char c = (char)((v >> bits) & 0xff);
			if (c == '\0' || o + 1 >= out_size)
				return false;
			out[o++] = c;
		}
	}
	/* The bits left over must be zero, as the encoder writes them: no
	 * second spelling of the same cursor. */
	if (bits >= 6 || (v & ((1u << bits) - 1)) != 0)
		return false;
	out[o] = '\0';
	return o > 0;
}

/*
 * A cursor is base64url(keys) "." hex(first 16 bytes of HMAC-SHA256(key,
 * keys)): opaque to clients, and one they altered or made up is refused
 * before its keys reach a query.
 */
static unsigned char cursor_key[64];
static size_t cursor_key_len;

void query_set_cursor_key(const void *key, size_t len)
{
	cursor_key_len = len < sizeof cursor_key ? len : sizeof cursor_key;
	memcpy(cursor_key, key, cursor_key_len);
}

#define MAC_HEX 32

static bool cursor_mac(const char *text, char hex[MAC_HEX + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if (HMAC(EVP_sha256(), cursor_key, (int)cursor_key_len, (const unsigned char *)text, strlen(text), mac,
		 &mac_len) == NULL || mac_len < MAC_HEX / 2)
		return false;
	for (int i = 0; i < MAC_HEX / 2; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return true;
}

bool cursor_encode(const char *text, char *out, size_t out_size)
{
	char mac[MAC_HEX + 1];
	if (!b64url_encode(text, out, out_size) || !cursor_mac(text, mac))
		return false;
	size_t used = strlen(out);
	if (used + 1 + MAC_HEX + 1 > out_size)
		return false;
	out[used] = '.';
	memcpy(out + used + 1, mac, MAC_HEX + 1);
	return true;
}

bool cursor_decode(const char *encoded, char *out, size_t out_size)
{
	const char *dot = strrchr(encoded, '.');
	char mac[MAC_HEX + 1];
	if (dot == NULL || strlen(dot + 1) != MAC_HEX ||
	    !b64url_decode(encoded, (size_t)(dot - encoded), out, out_size) || !cursor_mac(out, mac) ||
	    CRYPTO_memcmp(mac, dot + 1, MAC_HEX) != 0) {
		if (out_size > 0)
			out[0] = '\0';
		return false;
	}
	return true;
}

bool query_parse(struct request *r, const char *const *allowed, struct query *q)
{
	memset(q, 0, sizeof *q);
	TAILQ_INIT(&q->params);
	const char *text = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev));
	if (text != NULL && evhttp_parse_query_str(text, &q->params) != 0) {
		problem_reply(r, 400, "The query string is malformed.");
		return false;
	}
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, &q->params, next) {
		if (!utf8_valid(kv->key, strlen(kv->key)) || !utf8_valid(kv->value, strlen(kv->value))) {
			query_free(q);
			problem_reply(r, 400, "The query string is not valid UTF-8.");
			return false;
		}
		bool known = strcmp(kv->key, "limit") == 0 || strcmp(kv->key, "cursor") == 0;
		for (const char *const *a = allowed; *a != NULL && !known; a++)
			known = strcmp(*a, kv->key) == 0;
		if (!known) {
			char detail[200];
			snprintf(detail, sizeof detail, "Unknown query parameter '%.100s'.", kv->key);
			query_free(q);
			problem_reply(r, 400, detail);
			return false;
		}
	}
	if (!parse_limit(evhttp_find_header(&q->params, "limit"), &q->limit)) {
		query_free(q);
		problem_reply(r, 400, "limit must be an integer from 1 to 100.");
		return false;
	}
	const char *cursor = query_get(q, "cursor");
	if (cursor != NULL && !cursor_decode(cursor, q->cursor, sizeof q->cursor)) {
		query_free(q);
		problem_reply(r, 400, "cursor is not one this server handed out.");
		return false;
	}
	return true;
}

void query_free(struct query *q) { evhttp_clear_headers(&q->params); }

const char *query_get(const struct query *q, const char *name)
{
	const char *v = evhttp_find_header(&q->params, name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

bool cursor_time_id(char *cursor, const char **time, const char **id)
{
	char *sep = strchr(cursor, '|');
	if (sep == NULL || !valid_uuid(sep + 1))
		return false;
	*sep = '\0';
	*time = cursor;
	*id = sep + 1;
	return true;
}

bool query_time_id_cursor(struct request *r, struct query *q, const char **time, const char **id)
{
	*time = *id = NULL;
	if (q->cursor[0] == '\0' || cursor_time_id(q->cursor, time, id))
		return true;
	problem_reply(r, 400, "cursor is not one this server handed out.");
	return false;
}
