// The only door to the server: the public API under /api/v1, as any other
// client uses it.  Every call resolves (never throws) to
//   { ok, status, data, etag, problem, retryAfter }
// where `problem` is the RFC 9457 document of a refusal ({title, detail,
// errors: [{field, message}]}) or a synthetic one when the network failed.
import { session, signOut } from './session.js';

const BASE = '/api/v1';

export async function api(method, path, { body, ifMatch, idempotencyKey, raw } = {}) {
	const headers = { Accept: raw ? 'text/csv' : 'application/json' };
	const token = session.value.token;
	if (token) headers.Authorization = `Bearer ${token}`;
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
	if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
	let res;
	try {
		res = await fetch(BASE + path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	} catch (e) {
		return { ok: false, status: 0, problem: { title: 'network', detail: String(e), errors: [] } };
	}
	const etag = res.headers.get('ETag');
	if (res.status === 401 && token) signOut();
	if (res.status === 204) return { ok: true, status: 204, data: null, etag };
	const type = res.headers.get('Content-Type') || '';
	let data = null;
	if (raw && res.ok) data = await res.text();
	else if (type.includes('json')) data = await res.json().catch(() => null);
	if (!res.ok) {
		const problem = data && typeof data === 'object' ? data : { title: res.statusText };
		if (!Array.isArray(problem.errors)) problem.errors = [];
		const retryAfter = Number.parseInt(res.headers.get('Retry-After') || '', 10);
		return { ok: false, status: res.status, problem, etag, retryAfter: Number.isFinite(retryAfter) ? retryAfter : null };
	}
	return { ok: true, status: res.status, data, etag };
}

export const get = (path, opts) => api('GET', path, opts);
export const post = (path, body, opts = {}) => api('POST', path, { ...opts, body });

// A query string from an object, leaving out empty values.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v === undefined || v === null || v === '' || v === false) continue;
		q.set(k, String(v));
	}
	const s = q.toString();
	return s ? `?${s}` : '';
}

// A fresh Idempotency-Key for one user action (a double click replays it).
export function newKey() {
	return crypto.randomUUID();
}
