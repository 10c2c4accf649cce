// The shell: skip link, header with the navigation this user may use, the
// language switch, the current page, and the footer.  Pages are chosen by
// routes.js and receive their URL parameters as props.
import { useLayoutEffect, useState } from 'preact/hooks';
import { Link, location, matchPath, navigate } from './router.js';
import { routes } from './routes.js';
import { session, signOut, isAdmin } from './session.js';
import { lang, setLang, t } from './i18n/index.js';
import { useSignal } from './signal.js';
import { post } from './api.js';
import { Loading, PageTitle } from './components.jsx';

function resolve(path) {
	for (const route of routes) {
		const params = matchPath(route.pattern, path);
		if (params) return { route, params };
	}
	return null;
}

// Loads the page module of a route and renders it (the import starts in a
// layout effect for the reason components.jsx gives for its fetches).
function Page({ route, params }) {
	const [mod, setMod] = useState(null);
	useLayoutEffect(() => {
		let live = true;
		setMod(null);
		route.load().then((m) => live && setMod(m));
		return () => {
			live = false;
		};
	}, [route]);
	if (!mod) return <Loading />;
	const Component = mod.default;
	return <Component {...params} />;
}

function Nav() {
	const s = useSignal(session);
	const [open, setOpen] = useState(false);
	const admin = isAdmin();
	const item = (href, key) => (
		<li><Link href={href} aria-current={location.value.path === href ? 'page' : undefined} onClick={() => setOpen(false)}>{t(key)}</Link></li>
	);
	const logout = async () => {
		await post('/auth/logout');
		signOut();
		navigate('/');
	};
	return (
		<nav aria-label={t('nav.main')} class="nav">
			<button type="button" class="nav-toggle" aria-expanded={open ? 'true' : 'false'} aria-controls="nav-list" onClick={() => setOpen(!open)}>
				{t('nav.menu')}
			</button>
			<ul id="nav-list" class={open ? 'open' : ''}>
				{item('/', 'nav.home')}
				{item('/indicators', 'nav.indicators')}
				{s.token && !admin ? item('/listings/new', 'nav.post') : null}
				{s.token && !admin ? item('/my/listings', 'nav.mine') : null}
				{s.token ? item('/deals', 'nav.deals') : null}
				{s.token ? item('/notifications', 'nav.notifications') : null}
				{s.token && !admin ? item('/saved-searches', 'nav.saved') : null}
				{admin ? item('/admin/moderation', 'nav.moderation') : null}
				{admin ? item('/admin/indicators', 'nav.admin_indicators') : null}
				{admin ? item('/admin/report', 'nav.report') : null}
				{s.token ? (
					<li><button type="button" class="linklike" onClick={logout}>{t('nav.logout')} ({s.user?.display_name})</button></li>
				) : (
					<>
						{item('/login', 'nav.login')}
						{item('/register', 'nav.register')}
					</>
				)}
			</ul>
		</nav>
	);
}

function LanguageSwitch() {
	const current = useSignal(lang);
	const other = current === 'vi' ? 'en' : 'vi';
	return (
		<button type="button" class="lang" lang={other} onClick={() => setLang(other)}>
			{other === 'en' ? 'English' : 'Tiếng Việt'}
		</button>
	);
}

export function App() {
	const loc = useSignal(location);
	const s = useSignal(session);
	useSignal(lang);
	const found = resolve(loc.path);
	let body;
	if (!found) body = <PageTitle>{t('common.not_found')}</PageTitle>;
	else if (found.route.access !== 'any' && !s.token) {
		body = (
			<>
				<PageTitle>{t('common.need_login')}</PageTitle>
				<p><Link href={`/login?next=${encodeURIComponent(loc.path + loc.search)}`}>{t('nav.login')}</Link></p>
			</>
		);
	} else if (found.route.access === 'admin' && !isAdmin()) body = <PageTitle>{t('common.forbidden')}</PageTitle>;
	else body = <Page key={found.route.pattern + JSON.stringify(found.params)} route={found.route} params={found.params} />;
	return (
		<>
			<a class="skip" href="#main">{t('app.skip')}</a>
			<header class="site-header">
				<div class="brand">
					<Link href="/" class="brand-name">{t('app.name')}</Link>
					<span class="tagline">{t('app.tagline')}</span>
				</div>
				<LanguageSwitch />
				<Nav />
			</header>
			<main id="main" tabIndex={-1}>{body}</main>
			<footer class="site-footer"><p>{t('app.footer')}</p></footer>
		</>
	);
}
