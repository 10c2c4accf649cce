// Client-side routing over the History API.  The server answers every
// non-API path with index.html, so each of these URLs can be opened,
// bookmarked and reloaded directly.
import { h } from 'preact';
import { signal } from './signal.js';

export const location = signal(currentLocation());

// How many times the app changed pages without a reload: a page's heading
// takes focus after such a change, not on the first load (where the reader
// starts at the top, skip link first).
export let navigations = 0;

function currentLocation() {
	return { path: window.location.pathname, search: window.location.search };
}

window.addEventListener('popstate', () => {
	navigations += 1;
	location.value = currentLocation();
});

export function navigate(to, { replace = false } = {}) {
	if (replace) history.replaceState(null, '', to);
	else history.pushState(null, '', to);
	navigations += 1;
	location.value = currentLocation();
	window.scrollTo(0, 0);
}

// The query of the current URL as a plain object.
export function searchParams() {
	return Object.fromEntries(new URLSearchParams(location.value.search));
}

// Matches "/deals/:id" against a path; returns the parameters or null.
export function matchPath(pattern, path) {
	const p = pattern.split('/');
	const s = path.replace(/\/+$/, '').split('/');
	if (pattern === '/' && (path === '/' || path === '')) return {};
	if (p.length !== s.length) return null;
	const params = {};
	for (let i = 0; i < p.length; i++) {
		if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
		else if (p[i] !== s[i]) return null;
	}
	return params;
}

// An <a> that navigates without reloading (plain click only: a middle click
// or Ctrl+click still opens a new tab).
export function Link({ href, children, ...rest }) {
	const onClick = (e) => {
		if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
		e.preventDefault();
		navigate(href);
	};
	return h('a', { href, onClick, ...rest }, children);
}
