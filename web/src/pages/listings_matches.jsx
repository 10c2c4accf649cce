// "Kết nối phù hợp": the complementary listings GET /listings/{id}/matches
// ranks for a listing, each with its score and the reasons it matched in
// words.  The API gives the reasons as short Vietnamese phrases built by the
// database ("cùng lĩnh vực 4.1", "từ khóa: sấy, hồ tiêu", "TRL 7 đáp ứng TRL
// tối thiểu 5", ...: listing_matches() in migrations/0008_deals.sql); each
// known form is turned into a sentence in the reader's language, with codes
// replaced by names.  A phrase of a form not known here is shown as sent.
import { Link } from '../router.js';
import { t, label } from '../i18n/index.js';
import { Loading, Problem, useApi, useRefName, useNames } from '../components.jsx';
import { listingHref } from './listings_shared.jsx';
import '../i18n/listings.js';

// The equipment modes the fit reason names, back to their enum values.
const MODE_WORDS = { 'bán': 'sale', 'cho thuê': 'lease' };

const list = (s) => s.split(',').map((w) => w.trim()).filter(Boolean).join(', ');

// One reason phrase of the API as a sentence.
export function reasonText(reason, names, refName) {
	let m;
	if ((m = /^cùng lĩnh vực (\S+)$/.exec(reason))) return t('listings.reason_sector', { name: names.sector(m[1]) });
	if ((m = /^cùng nhóm lĩnh vực (\S+)$/.exec(reason))) return t('listings.reason_field', { name: names.sector(m[1]) });
	if ((m = /^từ khóa: (.+)$/.exec(reason))) return t('listings.reason_keywords', { list: list(m[1]) });
	if ((m = /^nội dung tương đồng: (.+)$/.exec(reason))) return t('listings.reason_text', { list: list(m[1]) });
	if ((m = /^TRL (\d) đáp ứng TRL tối thiểu (\d)$/.exec(reason))) return t('listings.reason_trl_min', { trl: m[1], min: m[2] });
	if ((m = /^TRL (\d)$/.exec(reason))) return t('listings.reason_trl', { trl: m[1] });
	if ((m = /^hình thức: (.+)$/.exec(reason))) {
		const modes = m[1].split(',').map((w) => w.trim()).map((w) => (MODE_WORDS[w] ? label('transfer_mode', MODE_WORDS[w]) : w));
		return t('listings.reason_modes', { list: modes.join(', ') });
	}
	if (reason === 'giá trong ngân sách') return t('listings.reason_price');
	if ((m = /^cùng địa bàn: (.+)$/.exec(reason))) {
		const province = names.provinces.find((p) => p.name_vi === m[1]);
		return t('listings.reason_province', { name: province ? refName(province) : m[1] });
	}
	if (reason === 'mới đăng') return t('listings.reason_fresh');
	return reason;
}

export function Matches({ listing }) {
	const { loading, res } = useApi(`/listings/${listing.id}/matches?limit=10`);
	const names = useNames();
	const refName = useRefName();
	let body;
	if (loading && !res) body = <Loading />;
	else if (!res?.ok) body = <Problem problem={res?.problem} />;
	else if (res.data.items.length === 0) body = <p>{t('listings.no_matches')}</p>;
	else {
		body = (
			<ul class="matches">
				{res.data.items.map((m) => (
					<li key={m.listing.id} class="match" data-testid="match">
						<div class="match-head">
							<h3><Link href={listingHref(m.listing)}>{m.listing.title}</Link></h3>
							<p class="score">
								<span class="visually-hidden">{t('listings.score')}: </span>
								{t('listings.score_value', { pct: Math.round(m.score * 100) })}
							</p>
						</div>
						<p class="meta">{label('kind', m.listing.kind)} · {m.listing.ref} · {names.province(m.listing.province)}</p>
						<p class="reasons-label">{t('listings.reasons')}</p>
						<ul class="reasons">
							{m.reasons.map((r) => <li key={r}>{reasonText(r, names, refName)}</li>)}
						</ul>
					</li>
				))}
			</ul>
		);
	}
	return (
		<section aria-labelledby="matches-h" class="matches-section">
			<h2 id="matches-h">{t('listings.matches')}</h2>
			<p class="hint">{t(listing.kind.endsWith('offer') ? 'listings.matches_hint_offer' : 'listings.matches_hint_demand')}</p>
			{body}
		</section>
	);
}
