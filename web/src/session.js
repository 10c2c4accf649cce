// Who is signed in: the token and the `GET /me` answer, kept in
// localStorage so that a reload stays signed in.  A signal, so every
// component reading it re-renders on sign-in and sign-out.
import { signal } from './signal.js';

const KEY = 'marketplace.session';

function load() {
	try {
		const s = JSON.parse(localStorage.getItem(KEY) || 'null');
		if (s && typeof s.token === 'string') return s;
	} catch (e) {
		/* a corrupt entry is a signed-out visitor */
	}
	return { token: null, user: null, organization: null };
}

export const session = signal(load());

export function signIn(token, me) {
	session.value = { token, user: me.user, organization: me.organization };
	localStorage.setItem(KEY, JSON.stringify(session.value));
}

export function signOut() {
	session.value = { token: null, user: null, organization: null };
	localStorage.removeItem(KEY);
}

export const isAdmin = () => session.value.user?.role === 'admin';
export const signedIn = () => !!session.value.token;
