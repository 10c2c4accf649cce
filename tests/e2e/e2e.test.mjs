// End to end through the web front end, in Debian's Chromium (headless),
// against the real server and PostgreSQL with the demo data loaded
// (tests/e2e/run.sh sets E2E_BASE_URL and E2E_OUT).
//
// The story of issue 13: an enterprise registers and posts a demand; an
// administrator verifies the enterprise and approves the demand; an
// institute finds it by a search typed without diacritics, sees it among
// its own offer's matches and expresses interest; both sides agree, sign,
// complete; the administrator verifies the deal and the dashboard's X1
// figure moves.  Then the rejection path: the owner sees the moderator's
// reason.  Every main page is checked by axe-core (no serious or critical
// violation) and photographed into E2E_OUT/screenshots; the browser's
// console must stay free of errors (a CSP violation is one).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { chromium } from 'playwright-core';

const BASE = process.env.E2E_BASE_URL;
const OUT = process.env.E2E_OUT;
const SHOTS = path.join(OUT, 'screenshots');
const PASSWORD = 'mat-khau-demo-2026';
const ADMIN = 'admin@sokhcn.demo.vn';
const INSTITUTE = 'lan.nguyen@vien.demo.vn';
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// A word no demo listing has, so the searches below find exactly ours.
const TAG = `kiemthu${Date.now().toString(36)}`;

let browser;
const consoleErrors = [];
const axeFindings = [];
const missingStrings = [];
const phoneOverflows = [];
// What t() shows for a key its dictionaries lack: "listings.title_hint".
const RAW_KEY = /(?<![\w.@/:-])(app|nav|common|problem|listings|deal|deals|auth|notif|org|saved|admin)\.[a-z_]+(\.[a-z_]+)*\b/g;
let shotNumber = 0;

before(async () => {
	assert.ok(BASE && OUT, 'E2E_BASE_URL and E2E_OUT are set by tests/e2e/run.sh');
	fs.mkdirSync(SHOTS, { recursive: true });
	browser = await chromium.launch({ executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
	await browser?.close();
});

// ------------------------------------------------------------------ helpers

// The API, for looking things up and for checking what the pages did.
async function api(method, urlPath, { token, body } = {}) {
	const headers = { Accept: 'application/json' };
	if (token) headers.Authorization = `Bearer ${token}`;
	if (body) headers['Content-Type'] = 'application/json';
	const res = await fetch(`${BASE}/api/v1${urlPath}`, { method, headers, body: body && JSON.stringify(body) });
	const text = await res.text();
	return { status: res.status, data: text ? JSON.parse(text) : null };
}

async function apiToken(email) {
	const res = await api('POST', '/auth/login', { body: { email, password: PASSWORD } });
	assert.equal(res.status, 200, `API login of ${email}`);
	return res.data.token;
}

// A browser of one person: its own cookies and storage, Vietnamese, a laptop's width.
async function person(name, viewport = { width: 1280, height: 900 }) {
	const context = await browser.newContext({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
	const page = await context.newPage();
	page.setDefaultTimeout(15000);
	page.on('console', (msg) => {
		if (msg.type() !== 'error') return;
		// Chromium logs every API refusal a page shows on purpose (a 422 to a
		// bad form); anything else, a missing asset included, is an error.
		const refusal = /status of 4\d\d/.test(msg.text()) && msg.location().url.includes('/api/v1/');
		if (!refusal) consoleErrors.push(`${name} ${page.url()}: ${msg.text()}`);
	});
	page.on('pageerror', (err) => consoleErrors.push(`${name} ${page.url()}: ${err.message}`));
	return page;
}

async function open(page, urlPath) {
	await page.goto(BASE + urlPath);
	await page.locator('main h1').first().waitFor();
}

// The page at a phone's width (375 px): nothing wider than the screen.
async function checkPhoneWidth(page, name) {
	const wide = page.viewportSize();
	if (wide.width <= 375) return;
	await page.setViewportSize({ width: 375, height: 800 });
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	if (overflow > 0) phoneOverflows.push(`${name}: ${overflow}px wider than 375px`);
	await page.setViewportSize(wide);
}

// axe-core over the page as it is now, its width on a phone, and a
// full-page screenshot.
async function inspect(page, name) {
	await page.waitForLoadState('networkidle');
	await checkPhoneWidth(page, name);
	const raw = (await page.locator('body').innerText()).match(RAW_KEY);
	if (raw) missingStrings.push(`${name}: ${[...new Set(raw)].join(', ')}`);
	await page.evaluate(AXE);
	const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
	for (const v of result.violations) {
		if (v.impact === 'serious' || v.impact === 'critical') {
			axeFindings.push(`${name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
		}
	}
	const file = `${String(++shotNumber).padStart(2, '0')}-${name}.png`;
	await page.screenshot({ path: path.join(SHOTS, file), fullPage: true });
}

async function login(page, email) {
	await open(page, '/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Mật khẩu').fill(PASSWORD);
	await page.getByRole('button', { name: 'Đăng nhập' }).click();
	await page.getByRole('button', { name: /Đăng xuất/ }).waitFor();
}

// The X1 card of the public dashboard, as text.
async function x1Text(page) {
	await open(page, '/indicators');
	const card = page.getByTestId('indicator-KH43-X1');
	await card.waitFor();
	return card.innerText();
}

// KH43-X1's figures of this year, from the API: verified completed deals and their value.
async function x1Figures() {
	const res = await api('GET', '/indicators');
	const x1 = res.data.items.find((i) => i.code === 'KH43-X1');
	// The year in Vietnam, as the indicators count it.
	const thisYear = Number(new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date()));
	const year = x1.series.find((p) => p.year === thisYear);
	return { count: year?.value ?? 0, vnd: year?.value_vnd ?? 0 };
}

const vnd = (n) => `${new Intl.NumberFormat('vi-VN').format(n)} ₫`;

// ------------------------------------------------------------------ the strings

// The dictionaries of web/src/i18n as plain objects (each file is one
// object literal handed to addStrings or exported).
function dictionaries() {
	const dir = new URL('../../web/src/i18n/', import.meta.url);
	const out = {};
	for (const file of ['common.js', 'listings.js', 'deals.js', 'admin.js']) {
		const source = fs.readFileSync(new URL(file, dir), 'utf8')
			.replace(/^import .*$/m, '')
			.replace(/^addStrings\(/m, 'result = (')
			.replace(/^export default /m, 'result = ');
		const sandbox = {};
		vm.runInNewContext(source, sandbox);
		out[file] = sandbox.result;
	}
	return out;
}

// Vietnamese words that are never right without their diacritics.
const UNACCENTED = ['khong', 'duoc', 'nguoi', 'cua', 'viec', 'chua', 'tim kiem', 'dang nhap', 'dang ky', 'giao dich',
	'thong tin', 'cong nghe', 'xac nhan', 'trang thai', 'to chuc', 'doanh nghiep', 'nhu cau', 'thiet bi', 'linh vuc',
	'ho so', 'danh sach', 'tai khoan', 'mat khau', 'thoa thuan', 'hop dong', 'chi tieu', 'ke hoach', 'tu choi',
	'moi nhat', 'quan tri', 'thong bao', 'gui', 'duyet', 'xoa', 'luu', 'bo loc', 'ban nhap', 'de nghi', 'thanh pho',
	'so huu', 'chuyen giao', 'nghien cuu', 'khoa hoc', 'gia tri', 'ngay', 'thang', 'bang', 'so lieu'];

test('every string has both languages, and no Vietnamese one lacks its diacritics', () => {
	const problems = [];
	for (const [file, d] of Object.entries(dictionaries())) {
		for (const key of Object.keys(d.vi)) if (!(key in d.en)) problems.push(`${file}: ${key} has no English`);
		for (const key of Object.keys(d.en)) if (!(key in d.vi)) problems.push(`${file}: ${key} has no Vietnamese`);
		for (const [key, text] of Object.entries(d.vi)) {
			// A quoted example may show typing without diacritics on purpose.
			const unquoted = text.replace(/“[^”]*”|"[^"]*"/g, ' ');
			const words = ` ${unquoted.toLowerCase().replace(/[^a-z\u00c0-\u024f\u1e00-\u1eff]+/g, ' ')} `;
			for (const w of UNACCENTED) if (words.includes(` ${w} `)) problems.push(`${file}: ${key} writes "${w}" without diacritics`);
		}
	}
	assert.deepEqual(problems, []);
});

// ------------------------------------------------------------------ the story

const story = {};

test('the home page: the newest listings of the demo data, measured cold', async () => {
	const page = await person('visitor');
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
	let bytes = 0;
	let requests = 0;
	cdp.on('Network.loadingFinished', (e) => {
		bytes += e.encodedDataLength;
		requests += 1;
	});
	// When the first listing card enters the page, in the page's own clock
	// (milliseconds from the start of the navigation).
	await page.addInitScript(() => {
		new MutationObserver((_, observer) => {
			if (document.querySelector('[data-testid="listing-card"]')) {
				window.firstListingAt = performance.now();
				observer.disconnect();
			}
		}).observe(document, { childList: true, subtree: true });
	});
	await page.goto(`${BASE}/`);
	await page.getByTestId('listing-card').first().waitFor();
	await page.waitForLoadState('networkidle');
	const timing = await page.evaluate(() => {
		const nav = performance.getEntriesByType('navigation')[0];
		return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, listed: window.firstListingAt };
	});
	// Once more with the reference lists slower than the listings, so that
	// every card asks for them while they are on their way: still one
	// request each.
	const slow = await person('slow-reference');
	await slow.route(/\/api\/v1\/(provinces|sectors)$/, async (route) => {
		await new Promise((resolve) => setTimeout(resolve, 400));
		await route.continue();
	});
	await slow.addInitScript(() => {
		window.fetches = {};
		const fetchOriginal = window.fetch;
		window.fetch = function (input, init) {
			const path = String(input).split('?')[0];
			window.fetches[path] = (window.fetches[path] || 0) + 1;
			return fetchOriginal.call(this, input, init);
		};
	});
	await slow.goto(`${BASE}/`);
	await slow.getByTestId('listing-card').first().waitFor();
	await slow.waitForLoadState('networkidle');
	const fetches = await slow.evaluate(() => window.fetches);
	assert.deepEqual(Object.entries(fetches).filter(([, n]) => n > 1), [], 'the home page asks the API for each list once');
	await slow.context().close();
	const listed = Math.round(timing.listed);
	const measured = { transferred_bytes: bytes, requests, dom_content_loaded_ms: Math.round(timing.domContentLoaded), load_ms: Math.round(timing.load), listings_shown_ms: listed };
	fs.writeFileSync(path.join(OUT, 'home.json'), `${JSON.stringify(measured, null, 2)}\n`);
	console.log(`home page: ${bytes} bytes transferred in ${requests} requests; DOMContentLoaded ${measured.dom_content_loaded_ms} ms, load ${measured.load_ms} ms, listings shown after ${listed} ms`);
	assert.ok((await page.getByTestId('listing-card').count()) >= 10, 'the newest demo listings are shown');
	await inspect(page, 'home');
	const phone = await person('phone', { width: 375, height: 800 });
	await open(phone, '/');
	await phone.getByTestId('listing-card').first().waitFor();
	const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	assert.ok(overflow <= 0, `no horizontal scrolling at 375 px (overflow ${overflow}px)`);
	await inspect(phone, 'home-phone');
	await open(phone, '/indicators');
	await inspect(phone, 'indicators-phone');
	story.x1Before = await x1Figures();
	await page.context().close();
	await phone.context().close();
});

test('an enterprise registers and posts a technology demand', async () => {
	// The institute's published offer whose matches the demand must join.
	const instituteToken = await apiToken(INSTITUTE);
	const mine = await api('GET', '/listings?mine=true&limit=100', { token: instituteToken });
	const offer = mine.data.items.find((l) => l.kind === 'technology_offer' && l.status === 'published');
	assert.ok(offer, 'the demo institute has a published technology offer');
	story.offer = offer;

	const page = await person('enterprise');
	story.enterprise = page;
	story.enterpriseEmail = `giam.doc.${TAG}@doanhnghiep.example.vn`;
	await open(page, '/register');
	await inspect(page, 'register');
	await page.getByLabel('Họ và tên').fill('Trần Văn Khải');
	await page.getByLabel('Email').fill(story.enterpriseEmail);
	await page.getByLabel('Mật khẩu').fill(PASSWORD);
	await page.getByLabel('Tên tổ chức').fill(`Công ty Cổ phần Nông sản Gio Linh ${TAG}`);
	await page.getByLabel('Loại hình').selectOption('enterprise');
	await page.getByLabel('Tỉnh, thành phố').selectOption('quang-tri');
	await page.getByRole('button', { name: 'Đăng ký' }).click();
	await page.getByRole('heading', { name: 'Đăng ký thành công' }).waitFor();
	await page.getByRole('button', { name: /Đăng xuất/ }).waitFor();

	await open(page, '/listings/new');
	story.demandTitle = `Hệ thống sấy nông sản bằng năng lượng mặt trời ${TAG}`;
	await page.getByLabel('Loại tin').selectOption('technology_demand');
	// The API's refusal of a two-letter title is shown beside the title, in Vietnamese.
	await page.getByLabel('Tiêu đề').fill('Sấ');
	await page.getByRole('button', { name: 'Lưu bản nháp' }).click();
	const titleField = page.locator('.field').filter({ has: page.getByLabel('Tiêu đề') });
	await titleField.getByText('phải dài từ 3 đến 200 ký tự').waitFor();
	assert.equal(await page.getByLabel('Tiêu đề').getAttribute('aria-invalid'), 'true');
	await page.getByLabel('Tiêu đề').fill(story.demandTitle);
	await page.getByLabel('Tóm tắt').fill('Doanh nghiệp cần công nghệ sấy nông sản (hồ tiêu, cà phê) quy mô 2 tấn/mẻ, tiết kiệm năng lượng.');
	await page.getByLabel('Mô tả chi tiết').fill('Chúng tôi tìm đối tác chuyển giao công nghệ sấy kết hợp năng lượng mặt trời cho vùng nguyên liệu Gio Linh.');
	await page.getByLabel('Lĩnh vực').selectOption(offer.sector);
	await page.getByLabel('Từ khóa').fill([...(offer.keywords || []).slice(0, 3), 'sấy nông sản'].join(', '));
	await page.getByLabel(/TRL/).selectOption('6');
	await page.getByLabel('Tỉnh, thành phố').selectOption('quang-tri');
	await inspect(page, 'listing-form');
	await page.getByRole('button', { name: /Lưu và gửi duyệt/ }).click();
	await page.waitForURL(/\/listings\/QT-TD-/);
	await page.getByTestId('listing-status').filter({ hasText: 'Chờ duyệt' }).waitFor();
	story.demandRef = page.url().split('/listings/')[1].split(/[?#/]/)[0];
	await inspect(page, 'listing-own');
});

test('the administrator verifies the enterprise and approves its demand', async () => {
	const page = await person('admin');
	story.admin = page;
	await login(page, ADMIN);
	await open(page, '/admin/moderation');
	await inspect(page, 'moderation');
	const org = page.getByTestId('moderation-organization').filter({ hasText: `Công ty Cổ phần Nông sản Gio Linh ${TAG}` });
	await org.getByRole('button', { name: /^Xác minh/ }).click();
	await page.getByRole('status').filter({ hasText: 'Đã xác minh tổ chức' }).waitFor();
	const item = page.getByTestId('moderation-listing').filter({ hasText: story.demandTitle });
	await item.getByRole('button', { name: /^Duyệt/ }).click();
	await page.getByRole('status').filter({ hasText: 'Đã duyệt' }).waitFor();
	const res = await api('GET', `/listings/${story.demandRef}`);
	assert.equal(res.status, 200);
	assert.equal(res.data.status, 'published', 'the demand is published');
});

test('the institute finds the demand without diacritics, sees it among its offer\'s matches, expresses interest', async () => {
	const page = await person('institute');
	story.institute = page;
	await login(page, INSTITUTE);
	await open(page, '/');
	await page.getByRole('searchbox').fill(`he thong say nong san nang luong mat troi ${TAG}`);
	await page.getByRole('button', { name: 'Tìm kiếm' }).click();
	const card = page.getByTestId('listing-card').filter({ hasText: story.demandTitle });
	await card.waitFor();
	assert.equal(await page.getByTestId('listing-card').count(), 1, 'the search finds exactly the new demand');
	await inspect(page, 'search');

	await open(page, `/listings/${story.offer.ref}`);
	await page.getByTestId('match').filter({ hasText: story.demandTitle }).waitFor();
	await inspect(page, 'listing-matches');

	await open(page, `/listings/${story.demandRef}`);
	await page.getByLabel(/Lời nhắn/).fill('Viện có công nghệ sấy bơm nhiệt kết hợp năng lượng mặt trời đã ứng dụng cho hồ tiêu; xin được trao đổi.');
	await page.getByRole('button', { name: 'Gửi quan tâm' }).click();
	await page.waitForURL(/\/deals\/[0-9a-f-]{36}$/);
	story.dealPath = new URL(page.url()).pathname;
	await page.getByTestId('deal-state').filter({ hasText: 'Đề nghị mới' }).waitFor();
});

// On the deal page: the button of an action, then, when it opens a form,
// its fields and its submit button.
async function dealAction(page, action, { submit, fill } = {}) {
	await open(page, story.dealPath);
	await page.getByRole('button', { name: action, exact: true }).click();
	if (fill) await fill(page);
	if (submit) await page.getByRole('button', { name: submit, exact: true }).click();
}

async function dealState(page, text) {
	await page.getByTestId('deal-state').filter({ hasText: text }).first().waitFor();
}

test('both sides agree, sign the contract and complete; the administrator verifies; X1 moves', async () => {
	const enterprise = story.enterprise;
	const institute = story.institute;
	await dealAction(enterprise, 'Chấp nhận và bắt đầu đàm phán');
	await dealState(enterprise, 'Đang đàm phán');
	await enterprise.getByLabel('Tin nhắn').fill('Mời Viện đến khảo sát xưởng sấy vào tuần tới.');
	await enterprise.getByRole('button', { name: 'Gửi tin nhắn' }).click();
	await enterprise.getByText('Mời Viện đến khảo sát xưởng sấy vào tuần tới.').first().waitFor();
	await inspect(enterprise, 'deal');

	await dealAction(enterprise, 'Xác nhận thống nhất');
	await enterprise.getByText(/chờ bên kia xác nhận/).first().waitFor();
	await dealAction(institute, 'Xác nhận thống nhất');
	await dealState(institute, 'Đã thống nhất');

	await dealAction(institute, 'Ghi nhận đã ký hợp đồng', {
		submit: 'Lưu hợp đồng',
		fill: async (p) => {
			await p.getByLabel('Số hợp đồng').fill(`HĐ-${TAG}`);
			await p.getByLabel('Giá trị hợp đồng (đồng)').fill('1200000000');
		},
	});
	await dealState(institute, 'Đã ký hợp đồng');
	await institute.getByText('1.200.000.000 ₫').first().waitFor();
	await dealAction(enterprise, 'Xác nhận hoàn thành', { submit: 'Gửi xác nhận hoàn thành' });
	await dealState(enterprise, 'Hoàn thành');

	const admin = story.admin;
	await dealAction(admin, 'Xác nhận giao dịch', { submit: 'Gửi xác nhận giao dịch' });
	await admin.getByText(/Đã xác nhận ngày/).first().waitFor();
	await open(enterprise, '/deals');
	await inspect(enterprise, 'deals');
	await open(enterprise, '/notifications');
	await inspect(enterprise, 'notifications');

	// The deal counts now: one more verified deal, 1.2 billion more, and the
	// public dashboard says so.
	const after = await x1Figures();
	assert.deepEqual(after, { count: story.x1Before.count + 1, vnd: story.x1Before.vnd + 1200000000 }, 'KH43-X1 counts the verified deal');
	const visitor = await person('visitor-after');
	const card = (await x1Text(visitor)).replace(/\s+/g, ' ');
	assert.ok(card.includes(`${after.count} giao dịch`) && card.includes(vnd(after.vnd)), `the X1 card shows ${after.count} giao dịch and ${vnd(after.vnd)}: ${card.slice(0, 300)}`);
	await inspect(visitor, 'indicators');
	await visitor.context().close();
});

test('a rejected listing shows the moderator\'s reason to its owner', async () => {
	const page = story.enterprise;
	await open(page, '/listings/new');
	const title = `Máy đóng gói chân không cũ ${TAG}`;
	await page.getByLabel('Loại tin').selectOption('equipment_demand');
	await page.getByLabel('Tiêu đề').fill(title);
	await page.getByLabel('Tóm tắt').fill('Cần mua máy đóng gói.');
	await page.getByLabel('Lĩnh vực').selectOption(story.offer.sector);
	await page.getByLabel('Tỉnh, thành phố').selectOption('quang-tri');
	await page.getByRole('button', { name: /Lưu và gửi duyệt/ }).click();
	await page.waitForURL(/\/listings\/QT-ED-/);

	const reason = 'Tin chưa nêu công suất, kích thước túi và ngân sách dự kiến; vui lòng bổ sung.';
	const admin = story.admin;
	await open(admin, '/admin/moderation');
	const item = admin.getByTestId('moderation-listing').filter({ hasText: title });
	await item.getByRole('button', { name: /^Từ chối/ }).click();
	await item.getByLabel('Lý do từ chối').fill(reason);
	await item.getByRole('button', { name: 'Xác nhận từ chối' }).click();
	await admin.getByRole('status').filter({ hasText: 'Đã từ chối' }).waitFor();

	await open(page, '/my/listings');
	const row = page.getByRole('row').filter({ hasText: title });
	await row.getByText('Bị từ chối').waitFor();
	await row.getByText(reason).waitFor();
	await inspect(page, 'my-listings');
});

test('the other main pages pass axe and are photographed', async () => {
	const member = story.enterprise;
	await open(member, '/saved-searches');
	// A refused form shows the API's message, in Vietnamese, beside its field.
	await member.getByLabel('Từ khóa').fill('sấy nông sản');
	await member.getByRole('button', { name: 'Lưu tìm kiếm' }).click();
	await member.getByText('phải dài từ 1 đến').first().waitFor();
	await member.getByLabel('Tên tìm kiếm').fill(`Công nghệ sấy ${TAG}`);
	await member.getByRole('button', { name: 'Lưu tìm kiếm' }).click();
	await member.getByRole('status').filter({ hasText: `Đã lưu tìm kiếm “Công nghệ sấy ${TAG}”` }).waitFor();
	await inspect(member, 'saved-searches');
	const admin = story.admin;
	await open(admin, '/admin/indicators');
	await inspect(admin, 'admin-indicators');
	await open(admin, '/admin/report');
	await inspect(admin, 'report');
	const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('button', { name: 'Tải CSV' }).click()]);
	assert.match(download.suggestedFilename(), /^bao-cao-.*\.csv$/);
	const csv = fs.readFileSync(await download.path(), 'utf8');
	// A byte-order mark for Excel, then RFC 4180's CRLF lines.  This year's
	// verified deals include the story's.
	assert.ok(csv.startsWith('\ufeff'), 'the CSV file starts with a byte-order mark');
	const lines = csv.slice(1).split('\r\n');
	assert.equal(lines[0], 'section,dimension,key,label,count,value_vnd');
	assert.ok(lines.some((l) => /^deals,verified,,,[1-9][0-9]*,[1-9][0-9]{9,}$/.test(l)), `the report's CSV: ${lines.filter((l) => l.startsWith('deals')).join(' | ')}`);
	const visitor = await person('visitor-login');
	await open(visitor, '/login');
	await inspect(visitor, 'login');
	// The keyboard alone: on a page just loaded the skip link comes first
	// and leads into the page, whose form follows; after a navigation
	// within the app the new page's heading has the focus.
	await open(visitor, '/login');
	await visitor.keyboard.press('Tab');
	assert.equal(await visitor.evaluate(() => document.activeElement.textContent), 'Bỏ qua, đến nội dung chính');
	await visitor.keyboard.press('Enter');
	assert.equal(await visitor.evaluate(() => document.activeElement.id), 'main');
	await visitor.keyboard.press('Tab');
	assert.equal(await visitor.evaluate(() => document.activeElement.getAttribute('type')), 'email');
	await visitor.keyboard.type(INSTITUTE);
	await visitor.keyboard.press('Tab');
	await visitor.keyboard.type(PASSWORD);
	await visitor.keyboard.press('Enter');
	await visitor.getByRole('button', { name: /Đăng xuất/ }).waitFor();
	assert.equal(await visitor.evaluate(() => document.activeElement.tagName), 'H1');
	await visitor.getByRole('button', { name: /Đăng xuất/ }).click();
	await visitor.getByRole('link', { name: 'Đăng nhập' }).first().waitFor();
	await open(visitor, '/login');
	// English on request, kept across pages; Vietnamese again on request.
	await visitor.getByRole('button', { name: 'English' }).click();
	await visitor.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
	await open(visitor, '/indicators');
	await visitor.getByRole('link', { name: 'Home' }).waitFor();
	assert.equal(await visitor.getAttribute('html', 'lang'), 'en');
	await inspect(visitor, 'indicators-english');
	await visitor.getByRole('button', { name: 'Tiếng Việt' }).click();
	await visitor.getByRole('link', { name: 'Trang chủ' }).waitFor();
	await visitor.context().close();
});

test('no serious accessibility violation, no missing string, no sideways scrolling on a phone and no console error on any page', () => {
	assert.deepEqual(axeFindings, [], 'axe-core: serious or critical violations');
	assert.deepEqual(missingStrings, [], 'string keys shown instead of text');
	assert.deepEqual(phoneOverflows, [], 'pages that scroll sideways on a phone');
	assert.deepEqual(consoleErrors, [], 'errors in the browser console');
});
