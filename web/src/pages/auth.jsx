// /login and /register (one module; the path says which form to show).
// Login exchanges email and password for a token, reads GET /me with it and
// keeps both in the session, then goes on to `?next=` when that is a path
// of this site, else home.  Registration creates the account and its
// organisation, then logs in with the same credentials and says that the
// organisation must be verified by the Department before its listings can
// be published.
import { useState } from 'preact/hooks';
import { get, newKey, post } from '../api.js';
import { Field, PageTitle, Problem, fieldErrors, useProvinces, useRefName } from '../components.jsx';
import { ENUMS, label, t } from '../i18n/index.js';
import { Link, location, navigate, searchParams } from '../router.js';
import { session, signIn } from '../session.js';
import { useSignal } from '../signal.js';
import '../styles/deals.css';
import '../i18n/deals.js';

// Only a path of this site: "/x", never "//host" or "/\host" (which
// browsers read as another host), nor an absolute URL.
function safeNext(next) {
	if (typeof next !== 'string' || !next.startsWith('/')) return '/';
	if (next.startsWith('//') || next.startsWith('/\\')) return '/';
	return next;
}

// Logs in and fills the session; resolves to null or the failed response.
async function logIn(email, password) {
	const res = await post('/auth/login', { email, password });
	if (!res.ok) return res;
	signIn(res.data.token, { user: res.data.user, organization: null });
	const me = await get('/me');
	if (!me.ok) return me;
	signIn(res.data.token, me.data);
	return null;
}

function LoginForm() {
	const [email, setEmail] = useState('');
	const [password, setPassword] = useState('');
	const [busy, setBusy] = useState(false);
	const [failure, setFailure] = useState(null);
	const [waitUntil, setWaitUntil] = useState(0);
	const next = safeNext(searchParams().next);
	const submit = async (e) => {
		e.preventDefault();
		setBusy(true);
		setFailure(null);
		const res = await logIn(email.trim(), password);
		setBusy(false);
		if (!res) {
			navigate(next, { replace: true });
			return;
		}
		setFailure(res);
		if (res.status === 429) {
			const seconds = res.retryAfter || 1;
			setWaitUntil(Date.now() + seconds * 1000);
			setTimeout(() => setWaitUntil(0), seconds * 1000);
		}
	};
	const errors = failure?.status === 422 ? fieldErrors(failure.problem) : {};
	let alert = null;
	if (failure?.status === 401) alert = <Problem problem={failure.problem} title={t('auth.login_failed')} />;
	else if (failure?.status === 429) {
		alert = (
			<div class="alert alert-error" role="alert">
				<p><strong>{t('auth.too_many')}</strong></p>
				<p>{t('auth.wait_seconds', { n: failure.retryAfter || 1 })}</p>
			</div>
		);
	} else if (failure) alert = <Problem problem={failure.problem} fields={['email', 'password']} />;
	return (
		<section class="auth-box">
			<PageTitle>{t('auth.login_title')}</PageTitle>
			{alert}
			<form onSubmit={submit} noValidate>
				<Field label={t('auth.email')} name="email" error={errors.email} required>
					{(p) => <input {...p} type="email" autocomplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
				</Field>
				<Field label={t('auth.password')} name="password" error={errors.password} required>
					{(p) => <input {...p} type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />}
				</Field>
				<div class="actions">
					<button type="submit" class="primary" disabled={busy || waitUntil > 0}>{t('auth.login_button')}</button>
				</div>
			</form>
			<p>{t('auth.no_account')} <Link href={`/register${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>{t('auth.register_link')}</Link></p>
		</section>
	);
}

const EMPTY_ORG = { name: '', kind: '', tax_code: '', province: 'quang-tri', address: '', website: '', description: '' };

// The organisation's fields as the API takes them: trimmed, and blank ones
// left out (a missing kind is then named as missing, not as too short).
function orgBody(org) {
	const out = { name: org.name.trim(), province: org.province };
	for (const k of ['kind', 'tax_code', 'address', 'website', 'description']) {
		const v = org[k].trim();
		if (v) out[k] = v;
	}
	return out;
}

function RegisterForm() {
	const provinces = useProvinces();
	const refName = useRefName();
	const [key] = useState(newKey);
	const [form, setForm] = useState({ display_name: '', email: '', password: '' });
	const [org, setOrg] = useState(EMPTY_ORG);
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const [done, setDone] = useState(false);
	const errors = fieldErrors(problem);
	const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
	const setO = (k) => (e) => setOrg({ ...org, [k]: e.currentTarget.value });
	const submit = async (e) => {
		e.preventDefault();
		setBusy(true);
		setProblem(null);
		const body = {
			display_name: form.display_name.trim(),
			email: form.email.trim(),
			password: form.password,
			organization: orgBody(org),
		};
		const res = await post('/auth/register', body, { idempotencyKey: key });
		if (!res.ok) {
			setBusy(false);
			setProblem(res.problem);
			return;
		}
		const failed = await logIn(body.email, body.password);
		setBusy(false);
		if (failed) setProblem(failed.problem);
		else setDone(true);
	};
	if (session.value.token && !done && !busy) return <AlreadySignedIn />;
	if (done) {
		return (
			<section class="auth-box">
				<PageTitle>{t('auth.registered_title')}</PageTitle>
				<div class="alert alert-info" role="status">
					<p>{t('auth.registered_notice')}</p>
				</div>
				<ul class="link-list">
					<li><Link href="/">{t('auth.go_home')}</Link></li>
					<li><Link href="/listings/new">{t('auth.go_post')}</Link></li>
					{session.value.user?.organization_id ? (
						<li><Link href={`/organizations/${session.value.user.organization_id}`}>{t('auth.go_profile')}</Link></li>
					) : null}
				</ul>
			</section>
		);
	}
	const shown = ['display_name', 'email', 'password', ...Object.keys(EMPTY_ORG).map((k) => `organization.${k}`)];
	const orgField = (k, text, input, extra = {}) => (
		<Field label={text} name={`organization.${k}`} error={errors[`organization.${k}`]} {...extra}>
			{input}
		</Field>
	);
	return (
		<section class="auth-box auth-box-wide">
			<PageTitle>{t('auth.register_title')}</PageTitle>
			<p>{t('auth.register_intro')}</p>
			<Problem problem={problem} fields={shown} />
			<form onSubmit={submit} noValidate>
				<fieldset>
					<legend>{t('auth.account')}</legend>
					<Field label={t('auth.display_name')} name="display_name" error={errors.display_name} required>
						{(p) => <input {...p} autocomplete="name" maxLength={200} value={form.display_name} onInput={set('display_name')} />}
					</Field>
					<Field label={t('auth.email')} name="email" error={errors.email} required>
						{(p) => <input {...p} type="email" autocomplete="email" maxLength={254} value={form.email} onInput={set('email')} />}
					</Field>
					<Field label={t('auth.password')} name="password" error={errors.password} hint={t('auth.password_hint')} required>
						{(p) => <input {...p} type="password" autocomplete="new-password" minLength={10} value={form.password} onInput={set('password')} />}
					</Field>
				</fieldset>
				<fieldset>
					<legend>{t('auth.organization')}</legend>
					{orgField('name', t('org.name'), (p) => <input {...p} autocomplete="organization" maxLength={300} value={org.name} onInput={setO('name')} />, { required: true })}
					{orgField('kind', t('org.kind'), (p) => (
						<select {...p} value={org.kind} onChange={setO('kind')}>
							<option value="">{t('org.choose_kind')}</option>
							{ENUMS.org_kind.map((k) => <option key={k} value={k}>{label('org_kind', k)}</option>)}
						</select>
					), { required: true })}
					{orgField('tax_code', t('org.tax_code'), (p) => <input {...p} inputMode="numeric" maxLength={14} value={org.tax_code} onInput={setO('tax_code')} />, { hint: t('org.tax_code_hint') })}
					{orgField('province', t('org.province'), (p) => (
						<select {...p} value={org.province} onChange={setO('province')}>
							{provinces.length ? null : <option value="quang-tri">{t('org.province_default')}</option>}
							{provinces.map((x) => <option key={x.slug} value={x.slug}>{refName(x)}</option>)}
						</select>
					), { required: true })}
					{orgField('address', t('org.address'), (p) => <input {...p} autocomplete="street-address" maxLength={500} value={org.address} onInput={setO('address')} />)}
					{orgField('website', t('org.website'), (p) => <input {...p} type="url" autocomplete="url" placeholder="https://" maxLength={300} value={org.website} onInput={setO('website')} />)}
					{orgField('description', t('org.description'), (p) => <textarea {...p} maxLength={5000} value={org.description} onInput={setO('description')} />)}
				</fieldset>
				<p class="hint">{t('auth.verify_note')}</p>
				<div class="actions">
					<button type="submit" class="primary" disabled={busy}>{t('auth.register_button')}</button>
				</div>
			</form>
			<p>{t('auth.have_account')} <Link href="/login">{t('auth.login_link')}</Link></p>
		</section>
	);
}

function AlreadySignedIn() {
	return (
		<section class="auth-box">
			<PageTitle>{t('auth.already_title')}</PageTitle>
			<p>{t('auth.already', { name: session.value.user?.display_name || '' })}</p>
			<p><Link href={safeNext(searchParams().next)}>{t('auth.continue')}</Link></p>
		</section>
	);
}

export default function AuthPage() {
	const loc = useSignal(location);
	// Signed in when the page opened (not by this page's own form, which
	// goes on by itself once GET /me has answered).
	const [signedInBefore] = useState(() => !!session.value.token);
	if (loc.path.replace(/\/+$/, '') === '/register') return <RegisterForm />;
	return signedInBefore ? <AlreadySignedIn /> : <LoginForm />;
}
