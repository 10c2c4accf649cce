/*
 * Deployment settings against the real binary: HTTPS when
 * MARKETPLACE_TLS_CERT and MARKETPLACE_TLS_KEY are set, a certificate that
 * does not match its key refused at start, and reads going to
 * MARKETPLACE_DATABASE_READ_URL while readiness follows the primary.
 */
#include <check.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "check_run.h"

static char dir[64];

/* A self-signed certificate for "localhost" and its key, plus an unrelated key. */
static void make_certificates(void)
{
	snprintf(dir, sizeof dir, "/tmp/marketplace-tls-%d", (int)getpid());
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s && cd %s && "
		 "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
		 "-addext subjectAltName=DNS:localhost -days 2 -keyout key.pem -out cert.pem 2>/dev/null && "
		 "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2>/dev/null",
		 dir, dir);
	ck_assert_msg(it_shell(cmd) == 0, "openssl could not make a test certificate");
}

static void remove_certificates(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	it_shell(cmd);
}

/*
 * What a client offers: protocol versions (0: OpenSSL's default bound) and,
 * for TLS 1.2 and below, an OpenSSL cipher string (NULL: the default).  A
 * string ending in @SECLEVEL=0 lets this client offer what the system's
 * OpenSSL would otherwise refuse to, so that any refusal is the server's.
 */
struct tls_offer {
	int min_version, max_version;
	const char *ciphers;
};
static const struct tls_offer default_offer = {0, 0, NULL};

/* GET path over TLS with `offer`, verifying the certificate for "localhost"; the status, or -1
 * (the handshake's error reason, if any, in reason unless it is NULL).
 * The response's head goes to head (HEAD_SIZE bytes) unless it is NULL. */
#define HEAD_SIZE 2048
static int tls_get(int port, const struct tls_offer *offer, const char *path, char *body, size_t body_size,
		   char *head, unsigned long *reason)
{
	char ca[128], request[256], buf[8192];
	snprintf(ca, sizeof ca, "%s/cert.pem", dir);
	if (reason != NULL)
		*reason = 0;
	int fd = it_connect(port, 2000);
	if (fd < 0)
		return -1;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	bool offered = ctx != NULL && SSL_CTX_set_min_proto_version(ctx, offer->min_version) == 1 &&
		       SSL_CTX_set_max_proto_version(ctx, offer->max_version) == 1 &&
		       (offer->ciphers == NULL || SSL_CTX_set_cipher_list(ctx, offer->ciphers) == 1);
	SSL *ssl = offered && SSL_CTX_load_verify_locations(ctx, ca, NULL) == 1 ? SSL_new(ctx) : NULL;
	int status = -1;
	if (ssl != NULL) {
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
		SSL_set1_host(ssl, "localhost");
		SSL_set_tlsext_host_name(ssl, "localhost");
		SSL_set_fd(ssl, fd);
		snprintf(request, sizeof request,
			 "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
		size_t got = 0;
		int n;
		ERR_clear_error();
		if (SSL_connect(ssl) != 1) {
			if (reason != NULL)
				*reason = ERR_peek_last_error();
		} else if (SSL_write(ssl, request, (int)strlen(request)) > 0) {
			while (got + 1 < sizeof buf && (n = SSL_read(ssl, buf + got, (int)(sizeof buf - 1 - got))) > 0)
				got += (size_t)n;
			buf[got] = '\0';
			if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
				status = -1;
			const char *start = strstr(buf, "\r\n\r\n");
			snprintf(body, body_size, "%s", start != NULL ? start + 4 : "");
			if (head != NULL)
				snprintf(head, HEAD_SIZE, "%.*s", start != NULL ? (int)(start - buf) : 0, buf);
		}
		SSL_free(ssl);
	}
	SSL_CTX_free(ctx);
	close(fd);
	ERR_clear_error();
	return status;
}

START_TEST(test_https)
{
	make_certificates();
	int port = it_free_port();
	char listen[64], cert[160], key[160], url[4096];
	snprintf(listen, sizeof listen, "MARKETPLACE_LISTEN=127.0.0.1:%d", port);
	snprintf(cert, sizeof cert, "MARKETPLACE_TLS_CERT=%s/cert.pem", dir);
	snprintf(key, sizeof key, "MARKETPLACE_TLS_KEY=%s/key.pem", dir);
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	const char *const argv[] = {it_bin(), "serve", NULL};
	const char *const env[] = {listen, cert, key, url, "MARKETPLACE_THREADS=2", "MARKETPLACE_LOG=warn", NULL};
	struct it_proc p;
	it_proc_start(&p, argv, env);

	char body[4096] = "";
	int status = -1;
	for (double t0 = it_now(); status != 200 && it_now() - t0 < 15; it_sleep_ms(100))
		status = tls_get(port, &default_offer, "/healthz", body, sizeof body, NULL, NULL);
	ck_assert_msg(status == 200, "no HTTPS answer from /healthz (last status %d)", status);
	ck_assert_str_eq(body, "{\"status\":\"ok\"}");
	char head[HEAD_SIZE];
	ck_assert_int_eq(tls_get(port, &default_offer, "/api/v1/provinces", body, sizeof body, head, NULL), 200);
	ck_assert_msg(strstr(head, "\r\nStrict-Transport-Security: max-age=31536000") != NULL,
		      "no Strict-Transport-Security under TLS:\n%s", head);
	ck_assert_msg(strstr(body, "\"Tỉnh Quảng Trị\"") != NULL, "provinces over HTTPS: %.200s", body);

	/*
	 * Only TLS 1.2 and 1.3, and in 1.2 only forward-secret AEAD suites.  The
	 * refusals must be the server's alerts: a client that could not offer
	 * the protocol at all would fail with a reason of its own.
	 */
	static const struct {
		const char *what;
		struct tls_offer offer;
		unsigned long refusal; /* 0: must be served */
	} offers[] = {
		{"TLS 1.0", {TLS1_VERSION, TLS1_VERSION, "DEFAULT:@SECLEVEL=0"}, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION},
		{"TLS 1.1", {TLS1_1_VERSION, TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0"}, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION},
		{"TLS 1.2, RSA key exchange with CBC", {TLS1_2_VERSION, TLS1_2_VERSION, "AES128-SHA:@SECLEVEL=0"},
		 SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE},
		{"TLS 1.2, ECDHE with CBC", {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES256-SHA384:@SECLEVEL=0"},
		 SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE},
		{"TLS 1.2, ECDHE with AES-GCM", {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"}, 0},
		{"TLS 1.2, ECDHE with ChaCha20-Poly1305", {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-CHACHA20-POLY1305"}, 0},
		{"TLS 1.3", {TLS1_3_VERSION, TLS1_3_VERSION, NULL}, 0},
	};
	for (size_t i = 0; i < sizeof offers / sizeof offers[0]; i++) {
		unsigned long reason;
		status = tls_get(port, &offers[i].offer, "/healthz", body, sizeof body, NULL, &reason);
		if (offers[i].refusal == 0) {
			ck_assert_msg(status == 200, "%s was not served (%d: %s)", offers[i].what, status,
				      reason ? ERR_reason_error_string(reason) : "no handshake error");
		} else {
			ck_assert_msg(status == -1, "%s was served", offers[i].what);
			ck_assert_msg(ERR_GET_REASON(reason) == (int)offers[i].refusal,
				      "%s failed, but not by the server's refusal: %s", offers[i].what,
				      reason ? ERR_reason_error_string(reason) : "no handshake error");
		}
	}

	/* Plain HTTP on the TLS port gets no HTTP answer. */
	struct it_response r;
	bool answered = it_get(port, "/healthz", &r);
	ck_assert_msg(!answered || r.status != 200, "plain HTTP was served on the TLS port");
	if (answered)
		it_response_free(&r);

	kill(p.pid, SIGTERM);
	struct it_cmd done;
	it_proc_finish(&p, 15000, &done);
	ck_assert_msg(done.status == 0, "the TLS server exited %d: %s", done.status, done.err);
	it_cmd_free(&done);
	remove_certificates();
}
END_TEST

START_TEST(test_key_must_match_certificate)
{
	make_certificates();
	char listen[64], cert[160], key[160], url[4096];
	snprintf(listen, sizeof listen, "MARKETPLACE_LISTEN=127.0.0.1:%d", it_free_port());
	snprintf(cert, sizeof cert, "MARKETPLACE_TLS_CERT=%s/cert.pem", dir);
	snprintf(key, sizeof key, "MARKETPLACE_TLS_KEY=%s/other.pem", dir);
	snprintf(url, sizeof url, "MARKETPLACE_DATABASE_URL=%s", it_db_url());
	const char *const argv[] = {it_bin(), "serve", NULL};
	const char *const env[] = {listen, cert, key, url, "MARKETPLACE_LOG=warn", NULL};
	struct it_cmd out;
	it_run(argv, env, 15000, &out);
	ck_assert_msg(out.status == 1, "serve with a key of another certificate exited %d%s, expected 1: %s",
		      out.status, it_status_note(out.status), out.err);
	ck_assert_msg(strstr(out.err, "TLS certificate or key") != NULL, "stderr: %s", out.err);
	it_cmd_free(&out);
	remove_certificates();
}
END_TEST

/* Reference lists are read from the read URL; /readyz follows the primary. */
START_TEST(test_reads_follow_the_read_url)
{
	int dead_port = it_free_port();
	char read_url[160];
	snprintf(read_url, sizeof read_url,
		 "MARKETPLACE_DATABASE_READ_URL=host=127.0.0.1 port=%d dbname=marketplace connect_timeout=1",
		 dead_port);
	struct it_server s;
	it_server_start(&s, (const char *const[]){read_url, NULL});
	struct it_response r;
	ck_assert(it_get(s.port, "/readyz", &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
	ck_assert(it_get(s.port, "/api/v1/st-tasks", &r));
	it_assert_problem(&r, 503);
	ck_assert_ptr_nonnull(it_header(&r, "Retry-After"));
	it_response_free(&r);
	ck_assert_int_eq(it_server_stop(&s), 0);

	/* The same database as a replica serves the lists. */
	char same[4200];
	snprintf(same, sizeof same, "MARKETPLACE_DATABASE_READ_URL=%s", it_db_url());
	it_server_start(&s, (const char *const[]){same, NULL});
	ck_assert(it_get(s.port, "/api/v1/st-tasks", &r));
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
	ck_assert_int_eq(it_server_stop(&s), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integration_deploy");
	TCase *tc = tcase_create("deploy");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_https);
	tcase_add_test(tc, test_key_must_match_certificate);
	tcase_add_test(tc, test_reads_follow_the_read_url);
	suite_add_tcase(s, tc);
	return check_run(s);
}
