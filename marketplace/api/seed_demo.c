/*
 * seed-demo: generated demo listings, set-based (see seed_demo.h).
 *
 * The words live in `vocabulary`, one entry a line: "<slot> <text>".  Lines
 * before the first "@" header are shared by every domain (organisations,
 * equipment title patterns, description sentences, reasons); each
 * "@ <name>" line starts a domain of the exchange (drying and processing of
 * farm produce, medicinal plants, fisheries, ...) with its weight, fields
 * of science, products, keywords, title patterns and context sentences.
 * SQL loads the lines into temporary tables once, then each batch is one
 * statement: generate_series numbers the rows, and every choice is a hash
 * of the row number and a salt (pg_temp.rnd), so a row's content follows
 * from its number alone.  Placeholders: {p} product, {e}/{E} equipment
 * name (lower / capitalised), {m} manufacturer, {mo} model, {y} year,
 * {prov} province, {n} {pct} {pct2} {yr} {t} {h} numbers.
 *
 * Where the time goes (auto_explain of a 25,000-row batch): generating the
 * rows about 15%; the insert itself (search vectors, fifteen indexes)
 * about half; the changes-feed trigger, which renders each published
 * listing with listing_json, about a third.
 */
#include "seed_demo.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Rows per transaction: small enough for the statement's working set, large enough to be set-based. */
#define BATCH 25000

static const char *const vocabulary[] = {
	/* Organisations: id|name|kind|province|role|description.  role: supply (offers
	 * technology), demand (seeks it), both, unverified (owns drafts and pending only). */
	"org 5eed0000-0000-4000-8000-000000000001|Viện Công nghệ Sau thu hoạch miền Trung (demo)|research_institute|quang-tri|supply|Nghiên cứu, chuyển giao công nghệ sấy, bảo quản và chế biến nông sản.",
	"org 5eed0000-0000-4000-8000-000000000002|Trường Đại học Kỹ thuật Đông Hà (demo)|university|quang-tri|supply|Đào tạo và nghiên cứu cơ khí, điện, tự động hóa và công nghệ thông tin.",
	"org 5eed0000-0000-4000-8000-000000000003|Trường Đại học Nông Lâm Cố đô (demo)|university|hue|supply|Giống cây trồng, chăn nuôi, thú y và công nghệ sinh học nông nghiệp.",
	"org 5eed0000-0000-4000-8000-000000000004|Viện Môi trường và Tài nguyên Biển (demo)|research_institute|da-nang|supply|Xử lý chất thải, quan trắc môi trường và nuôi trồng thủy sản bền vững.",
	"org 5eed0000-0000-4000-8000-000000000005|Trung tâm Ứng dụng Tiến bộ Khoa học Nghệ An (demo)|research_institute|nghe-an|supply|Ứng dụng và nhân rộng kết quả nghiên cứu cho nông hộ và hợp tác xã.",
	"org 5eed0000-0000-4000-8000-000000000006|Công ty Cổ phần Nông sản Cam Lộ (demo)|enterprise|quang-tri|both|Thu mua, sấy và chế biến hồ tiêu, cà phê và sắn.",
	"org 5eed0000-0000-4000-8000-000000000007|Công ty TNHH Thiết bị Khoa học Sông Hàn (demo)|enterprise|da-nang|both|Cung cấp, cho thuê và bảo trì thiết bị phòng thí nghiệm và y tế.",
	"org 5eed0000-0000-4000-8000-000000000008|Công ty Cổ phần Thủy sản Cửa Việt (demo)|enterprise|quang-tri|demand|Nuôi trồng và chế biến thủy sản xuất khẩu.",
	"org 5eed0000-0000-4000-8000-000000000009|Công ty Cổ phần Năng lượng Xanh Gio Linh (demo)|enterprise|quang-tri|both|Điện mặt trời, điện gió và giải pháp tiết kiệm năng lượng.",
	"org 5eed0000-0000-4000-8000-00000000000a|Công ty Khởi nghiệp Dược liệu Trường Sơn (demo)|startup|quang-tri|both|Trồng, chế biến và phát triển sản phẩm từ dược liệu bản địa.",
	"org 5eed0000-0000-4000-8000-00000000000b|Công ty TNHH Phần mềm Sông Hiếu (demo)|startup|ho-chi-minh|both|Phần mềm truy xuất nguồn gốc, IoT và chuyển đổi số cho nông nghiệp.",
	"org 5eed0000-0000-4000-8000-00000000000c|Hợp tác xã Hồ tiêu Vĩnh Linh (demo)|enterprise|quang-tri|demand|Sản xuất và tiêu thụ hồ tiêu hữu cơ của các xã viên.",
	"org 5eed0000-0000-4000-8000-00000000000d|Công ty Cơ khí Chính xác Hà Tĩnh (demo)|enterprise|ha-tinh|both|Gia công cơ khí chính xác, chế tạo máy nông nghiệp.",
	"org 5eed0000-0000-4000-8000-00000000000e|Nhóm nghiên cứu Vật liệu Cát trắng (demo)|startup|quang-tri|unverified|Vật liệu mới từ cát trắng ven biển; đang chờ Sở xác minh.",
	/* Equipment titles: pattern|condition|transfer modes. */
	"eo Bán {e} đã qua sử dụng|used|sale",
	"eo Thanh lý {e} còn hoạt động tốt|used|sale",
	"eo Bán {e} mới 100%, bảo hành 12 tháng|new|sale",
	"eo Bán {e} kèm đào tạo vận hành|new|sale,training",
	"eo Cho thuê {e} theo tháng|used|lease",
	"eo Bán hoặc cho thuê {e}|refurbished|sale,lease",
	"eo Chuyển nhượng {e} đã tân trang|refurbished|sale",
	"ed Cần mua {e}|new|sale",
	"ed Cần mua {e} đã qua sử dụng|used|sale",
	"ed Cần thuê {e} trong 6 tháng|used|lease",
	"ed Tìm mua hoặc thuê {e}|refurbished|sale,lease",
	"ed Cần mua {e} kèm chuyển giao vận hành|new|sale,training",
	/* Transfer modes of technology offers and demands. */
	"mto licensing",
	"mto licensing,training",
	"mto assignment",
	"mto licensing,consulting,training",
	"mto joint_development",
	"mto turnkey,training",
	"mto assignment,training,consulting",
	"mto joint_development,consulting",
	"mtd licensing",
	"mtd assignment",
	"mtd turnkey",
	"mtd joint_development",
	"mtd consulting,training",
	"mtd turnkey,training",
	/* Descriptions of technology offers after the domain's context: solution, results. */
	"dsol Giải pháp gồm quy trình công nghệ, thiết kế thiết bị và tài liệu hướng dẫn vận hành, phù hợp quy mô nông hộ đến doanh nghiệp nhỏ.",
	"dsol Kết quả được hoàn thiện qua nhiệm vụ khoa học và công nghệ cấp tỉnh, đã thử nghiệm thành công tại {prov}.",
	"dsol Công nghệ đã được kiểm chứng ở quy mô pilot với công suất {n} kg/ngày, vận hành ổn định qua hai vụ sản xuất.",
	"dsol Bên chuyển giao hỗ trợ lắp đặt, vận hành thử và đào tạo cán bộ kỹ thuật của bên nhận.",
	"dres Sản phẩm đạt tiêu chuẩn TCVN, giảm {pct}% chi phí vận hành so với phương pháp truyền thống.",
	"dres Thời gian hoàn vốn dự kiến {yr} năm; bên nhận được hỗ trợ kỹ thuật miễn phí trong 12 tháng đầu.",
	"dres Chất lượng sản phẩm đồng đều giữa các lô, tỷ lệ lỗi dưới {pct2}%.",
	"dres Năng suất lao động tăng {pct}%, đáp ứng yêu cầu của các nhà nhập khẩu lớn.",
	/* Descriptions of technology demands after the domain's context. */
	"tdneed Cần giải pháp có thể triển khai trong 6–12 tháng, ưu tiên chuyển giao kèm đào tạo.",
	"tdneed Sẵn sàng hợp tác nghiên cứu, thử nghiệm tại cơ sở và đồng tài trợ chi phí hoàn thiện công nghệ.",
	"tdneed Ưu tiên đối tác trong khu vực Bắc Trung Bộ, có khả năng bảo hành và hỗ trợ kỹ thuật lâu dài.",
	/* Descriptions of equipment offers and demands. */
	"deo {E} hãng {m}, model {mo}, sản xuất năm {y}.",
	"deo Thiết bị {e} ({m} {mo}, năm {y}) đang đặt tại {prov}; có thể xem máy trực tiếp trước khi giao dịch.",
	"ded Cần {e} phục vụ sản xuất và kiểm nghiệm tại {prov}, ưu tiên hãng {m} hoặc tương đương.",
	"ded Đơn vị tại {prov} cần {e} (tham khảo {m} {mo}) để mở rộng năng lực sản xuất.",
	"deq Kèm tài liệu kỹ thuật, phụ kiện tiêu chuẩn và hướng dẫn vận hành.",
	"deq Bên mua hoặc thuê tự vận chuyển; hỗ trợ lắp đặt và chạy thử trong phạm vi tỉnh.",
	"deq Thanh toán theo hợp đồng, có hóa đơn VAT; giá đã gồm kiểm định hiệu chuẩn.",
	"dedq Bên bán bảo hành tối thiểu 12 tháng, hướng dẫn vận hành và cung cấp phụ tùng thay thế.",
	"dedq Thanh toán theo tiến độ giao nhận; ưu tiên thiết bị có chứng nhận kiểm định còn hiệu lực.",
	/* Confidential texts: technology offers, demands, equipment. */
	"cto Thông số vận hành chi tiết: nhiệt độ {t}°C, thời gian {h} giờ, độ ẩm đầu ra dưới {pct2}%. Bản vẽ thiết kế và dự toán gửi khi hai bên bắt đầu đàm phán.",
	"cto Kết quả thử nghiệm đầy đủ, công thức phối trộn và danh sách nhà cung cấp nguyên liệu được cung cấp sau khi ký thỏa thuận bảo mật.",
	"cto Hồ sơ đăng ký sở hữu trí tuệ, biên bản nghiệm thu nhiệm vụ và sổ tay vận hành; chỉ chia sẻ với đối tác đang đàm phán.",
	"ctd Ngân sách dự kiến {n} triệu đồng và kế hoạch đầu tư giai đoạn 2026–2028; chỉ chia sẻ với đối tác đang đàm phán.",
	"ctd Số liệu sản xuất ba năm gần nhất và các vấn đề kỹ thuật đang gặp phải, kèm ảnh chụp dây chuyền hiện có.",
	"ceq Giá sàn có thể thương lượng: giảm {pct2}% khi thanh toán một lần; nhật ký bảo trì gửi khi bắt đầu đàm phán.",
	/* Moderation reasons. */
	"rej Mô tả chưa nêu rõ kết quả thử nghiệm; đề nghị bổ sung số liệu và minh chứng.",
	"rej Thiếu thông tin về tình trạng sở hữu trí tuệ của công nghệ.",
	"rej Giá đề xuất chưa có căn cứ; đề nghị bổ sung dự toán hoặc báo giá.",
	"rej Nội dung trùng với tin đã đăng trước đó của cùng tổ chức.",
	"sus Tạm ngừng để xác minh quyền sở hữu thiết bị theo phản ánh của người dùng.",
	"sus Tạm ngừng do thông tin giá chưa chính xác; chờ tổ chức cập nhật.",
	"sus Tạm ngừng theo đề nghị của cơ quan quản lý để rà soát nội dung.",

	"@ Sấy, bảo quản và chế biến nông sản",
	"weight 5",
	"sector 4.1",
	"sector 2.9",
	"sector 2.11",
	"p hồ tiêu",
	"p cà phê",
	"p sắn",
	"p tinh bột sắn",
	"p lạc",
	"p chuối",
	"p gạo hữu cơ",
	"p mật ong",
	"p nghệ",
	"p gừng",
	"kw sấy",
	"kw sau thu hoạch",
	"kw bảo quản",
	"kw chế biến sâu",
	"kw năng lượng mặt trời",
	"kw bơm nhiệt",
	"kw tiêu chuẩn xuất khẩu",
	"kw hợp tác xã",
	"to Công nghệ sấy {p} bằng năng lượng mặt trời",
	"to Công nghệ sấy {p} bằng bơm nhiệt giữ màu và hương vị",
	"to Quy trình chế biến {p} đạt tiêu chuẩn xuất khẩu",
	"to Công nghệ bảo quản {p} sau thu hoạch bằng màng bao sinh học",
	"to Quy trình sơ chế và phân loại {p} quy mô hợp tác xã",
	"to Công nghệ chế biến sâu {p} thành sản phẩm giá trị gia tăng",
	"td Cần công nghệ sấy {p} giảm hao hụt sau thu hoạch",
	"td Cần dây chuyền chế biến {p} công suất vừa",
	"td Tìm giải pháp bảo quản {p} trong mùa mưa",
	"td Cần quy trình chế biến {p} đạt chứng nhận hữu cơ",
	"ctx Tại {prov}, nhiều cơ sở sản xuất {p} vẫn phơi sấy thủ công, hao hụt lớn và chất lượng không đồng đều giữa các mẻ.",
	"ctx Nhu cầu thị trường đối với {p} đạt chuẩn xuất khẩu tăng nhanh, đòi hỏi quy trình ổn định và truy xuất được nguồn gốc.",
	"tdc Đơn vị đang sản xuất {p} với sản lượng khoảng {n} tấn/năm tại {prov}.",
	"tdc Sản phẩm {p} hiện bán thô với giá thấp; đơn vị muốn nâng giá trị và xây dựng thương hiệu OCOP.",
	"sum Giải pháp nâng cao chất lượng và giá trị {p}, phù hợp điều kiện sản xuất của các hợp tác xã miền Trung.",
	"sum Rút ngắn thời gian sấy {p}, sản phẩm sạch, giữ màu, đáp ứng yêu cầu của các thị trường khó tính.",
	"sum Giảm hao hụt sau thu hoạch {p} từ 15–20% xuống dưới 5%, chi phí đầu tư phù hợp nông hộ.",
	"eq máy sấy bơm nhiệt 500 kg/mẻ|Sấy Nông Sản Việt|HP-500",
	"eq máy bóc vỏ lạc|Cơ khí Nông nghiệp Bình Định|BVL-300",
	"eq máy rang cà phê 15 kg/mẻ|Probat|P12",
	"eq dây chuyền chế biến tinh bột sắn|Cơ khí Chế biến Tây Nguyên|TBS-20",
	"eq máy phân loại hạt theo màu sắc|Hefei Meyer|6SXZ-126",
	"eq kho lạnh bảo quản nông sản 50 m³|Searefico|KL-50",
	"ip utility_solution",
	"ip patent",
	"ip patent_pending",
	"ip trade_secret",
	"ip none",

	"@ Dược liệu",
	"weight 2",
	"sector 4.4",
	"sector 3.4",
	"sector 1.4",
	"p cà gai leo",
	"p tràm gió",
	"p dây thìa canh",
	"p sâm Bố Chính",
	"p nghệ đen",
	"p chè vằng",
	"p kim tiền thảo",
	"p hà thủ ô",
	"kw dược liệu",
	"kw chiết xuất",
	"kw tinh dầu",
	"kw cao dược liệu",
	"kw GACP-WHO",
	"kw nhân giống in vitro",
	"kw thực phẩm bảo vệ sức khỏe",
	"to Quy trình nhân giống {p} bằng nuôi cấy mô",
	"to Công nghệ chiết xuất cao {p} quy mô công nghiệp",
	"to Công nghệ sấy {p} bằng bơm nhiệt giữ hoạt chất",
	"to Quy trình trồng {p} đạt tiêu chuẩn GACP-WHO",
	"to Công nghệ chưng cất tinh dầu {p}",
	"td Cần công nghệ chiết xuất hoạt chất từ {p}",
	"td Tìm đối tác chuyển giao giống {p} sạch bệnh",
	"td Cần quy trình bào chế viên nang từ cao {p}",
	"ctx Vùng trồng {p} tại {prov} đang mở rộng nhưng thiếu giống chuẩn và quy trình sơ chế đạt chuẩn.",
	"ctx Nguyên liệu {p} chủ yếu bán tươi cho thương lái, giá trị gia tăng thấp.",
	"tdc Đơn vị có vùng trồng {p} rộng {n} ha tại {prov}, đang hoàn thiện hồ sơ sản phẩm OCOP.",
	"sum Chuỗi giá trị {p} từ giống, trồng, sơ chế đến sản phẩm; đã áp dụng tại vùng dược liệu Quảng Trị.",
	"sum Hàm lượng hoạt chất trong {p} ổn định, đáp ứng yêu cầu nguyên liệu của doanh nghiệp dược.",
	"eq nồi chiết xuất dược liệu 500 lít|Thiết bị Dược Minh Tâm|CX-500",
	"eq máy cô đặc chân không|Cơ khí Thực phẩm Việt|CĐ-200",
	"eq thiết bị chưng cất tinh dầu|Cơ khí Lâm Sản|TD-300",
	"eq máy đóng viên nang tự động|Hòa Bình Pharma Machinery|NJP-1200",
	"ip patent",
	"ip plant_variety",
	"ip trade_secret",
	"ip utility_solution",
	"ip patent_pending",

	"@ Thủy sản",
	"weight 2",
	"sector 4.1",
	"sector 4.4",
	"sector 2.8",
	"p tôm thẻ chân trắng",
	"p cá chình",
	"p cá hồng Mỹ",
	"p mực một nắng",
	"p cá cơm",
	"p rong biển",
	"p cua biển",
	"p hàu",
	"kw thủy sản",
	"kw nuôi trồng",
	"kw RAS",
	"kw an toàn sinh học",
	"kw chế biến thủy sản",
	"kw chuỗi lạnh",
	"kw truy xuất nguồn gốc",
	"to Quy trình nuôi {p} trong hệ thống tuần hoàn RAS",
	"to Công nghệ sấy {p} bằng năng lượng mặt trời kết hợp bơm nhiệt",
	"to Quy trình sản xuất giống {p} nhân tạo",
	"to Chế phẩm vi sinh xử lý môi trường ao nuôi {p}",
	"td Cần quy trình nuôi {p} thâm canh ít thay nước",
	"td Cần công nghệ bảo quản {p} tươi sau khai thác",
	"td Cần công nghệ chế biến {p} khô đạt tiêu chuẩn xuất khẩu",
	"ctx Nghề nuôi và khai thác {p} tại {prov} chịu nhiều rủi ro do dịch bệnh và thời tiết.",
	"ctx Sản phẩm {p} sau khai thác nhanh giảm chất lượng nếu không được bảo quản đúng cách.",
	"tdc Đơn vị nuôi và thu mua {p} với sản lượng khoảng {n} tấn/năm tại {prov}.",
	"sum Nâng cao tỷ lệ sống và năng suất {p}, giảm rủi ro dịch bệnh cho vùng nuôi ven biển.",
	"sum Sản phẩm {p} giữ màu và mùi vị tự nhiên, thời gian bảo quản dài hơn.",
	"eq máy làm đá vảy 5 tấn/ngày|Koller|KP-50",
	"eq máy sục khí ao nuôi|Ebara|BA-2HP",
	"eq tủ cấp đông nhanh IQF|Searefico|IQF-500",
	"eq máy đo chất lượng nước đa chỉ tiêu|YSI|ProDSS",
	"ip utility_solution",
	"ip patent_pending",
	"ip trade_secret",
	"ip none",

	"@ Cơ khí chế tạo",
	"weight 2",
	"sector 2.3",
	"sector 2.11",
	"p máy gặt đập liên hợp mini",
	"p máy ép viên nén mùn cưa",
	"p máy băm cỏ",
	"p máy gieo hạt",
	"p máy xay xát gạo",
	"p lò hơi đốt sinh khối",
	"p máy bóc vỏ keo",
	"kw cơ khí",
	"kw chế tạo máy",
	"kw CNC",
	"kw tự động hóa",
	"kw cơ giới hóa nông nghiệp",
	"kw gia công kim loại",
	"to Thiết kế và chế tạo {p} cho vùng đồi núi",
	"to Công nghệ chế tạo {p} bằng vật liệu trong nước",
	"to Cải tiến {p} tiết kiệm năng lượng",
	"td Cần chuyển giao thiết kế {p} cho xưởng cơ khí",
	"td Cần giải pháp tự động hóa {p}",
	"td Cần đối tác cùng phát triển {p} quy mô nhỏ",
	"ctx Các hợp tác xã tại {prov} đang thiếu {p} phù hợp quy mô nhỏ; máy nhập khẩu giá cao và khó bảo trì.",
	"ctx Nhu cầu cơ giới hóa bằng {p} tăng nhanh khi lao động nông thôn ngày càng thiếu.",
	"tdc Xưởng cơ khí của đơn vị tại {prov} có {n} m² nhà xưởng, đang tìm sản phẩm mới để chế tạo hàng loạt.",
	"sum Thiết kế {p} phù hợp năng lực gia công của xưởng cơ khí địa phương, giá thành thấp hơn máy nhập khẩu.",
	"sum Đã chế tạo và vận hành thử {p} tại hợp tác xã, tiết kiệm nhân công đáng kể.",
	"eq máy tiện CNC|Haas|ST-10",
	"eq máy phay CNC 3 trục|Mazak|VCN-430A",
	"eq máy cắt laser fiber 3 kW|Han's Laser|G3015",
	"eq máy hàn TIG|Jasic|TIG-250",
	"eq máy chấn tôn thủy lực|Amada|HG-1303",
	"ip utility_solution",
	"ip industrial_design",
	"ip patent",
	"ip trade_secret",

	"@ Công nghệ thông tin và chuyển đổi số",
	"weight 2",
	"sector 1.2",
	"sector 2.2",
	"p hợp tác xã nông nghiệp",
	"p vùng trồng hồ tiêu",
	"p trang trại nuôi tôm",
	"p nhà màng trồng rau",
	"p cơ sở chế biến thủy sản",
	"p doanh nghiệp nhỏ và vừa",
	"p làng nghề",
	"kw chuyển đổi số",
	"kw IoT",
	"kw phần mềm",
	"kw truy xuất nguồn gốc",
	"kw dữ liệu lớn",
	"kw trí tuệ nhân tạo",
	"kw điện toán đám mây",
	"to Phần mềm truy xuất nguồn gốc cho {p}",
	"to Hệ thống IoT giám sát và điều khiển cho {p}",
	"to Ứng dụng trí tuệ nhân tạo phân tích dữ liệu sản xuất cho {p}",
	"to Nền tảng quản lý sản xuất trên điện toán đám mây cho {p}",
	"td Cần phần mềm quản lý kho và bán hàng cho {p}",
	"td Cần hệ thống IoT theo dõi môi trường cho {p}",
	"td Tìm giải pháp chuyển đổi số cho {p}",
	"ctx Phần lớn {p} tại {prov} vẫn ghi chép bằng sổ tay, khó truy xuất và khó đáp ứng yêu cầu của nhà nhập khẩu.",
	"ctx Dữ liệu sản xuất của {p} phân tán, chưa được số hóa để phục vụ điều hành và báo cáo.",
	"tdc Đơn vị quản lý {p} với khoảng {n} hộ thành viên và khách hàng tại {prov}.",
	"sum Giải pháp triển khai nhanh, chi phí thuê bao thấp, giao diện tiếng Việt dễ dùng cho {p}.",
	"sum Dữ liệu của {p} được đồng bộ theo thời gian thực, hỗ trợ báo cáo cho cơ quan quản lý.",
	"eq máy chủ rack 2U|Dell|PowerEdge R750",
	"eq bộ thu thập dữ liệu IoT LoRaWAN|Milesight|UG65",
	"eq máy in mã QR công nghiệp|Videojet|1580",
	"eq thiết bị bay không người lái phun thuốc|DJI|Agras T40",
	"ip copyright",
	"ip trade_secret",
	"ip none",
	"ip patent_pending",

	"@ Môi trường",
	"weight 2",
	"sector 2.7",
	"sector 2.8",
	"sector 1.5",
	"p nước thải chế biến tinh bột sắn",
	"p nước thải chăn nuôi",
	"p rác thải hữu cơ",
	"p bùn thải",
	"p chất thải rắn sinh hoạt",
	"p nước thải lò mổ",
	"p phụ phẩm nông nghiệp",
	"kw môi trường",
	"kw xử lý nước thải",
	"kw vi sinh",
	"kw kinh tế tuần hoàn",
	"kw phân bón hữu cơ",
	"kw QCVN",
	"to Công nghệ xử lý {p} bằng phương pháp sinh học",
	"to Chế phẩm vi sinh xử lý {p}",
	"to Công nghệ tận dụng {p} sản xuất phân bón hữu cơ",
	"td Cần công nghệ xử lý {p} đạt QCVN",
	"td Tìm giải pháp khử mùi và xử lý {p}",
	"ctx Lượng {p} phát sinh tại {prov} ngày càng lớn, gây ô nhiễm và bị người dân phản ánh.",
	"ctx Các cơ sở sản xuất nhỏ khó đầu tư hệ thống xử lý {p} đắt tiền.",
	"tdc Cơ sở của đơn vị tại {prov} phát sinh khoảng {n} m³ {p} mỗi tháng.",
	"sum Chất lượng sau xử lý {p} đạt QCVN, chi phí vận hành thấp, phù hợp cơ sở sản xuất nhỏ và vừa.",
	"sum Tận dụng {p} làm nguyên liệu, giảm phát thải và chi phí xử lý.",
	"eq thiết bị quan trắc nước thải tự động|Hach|SC4500",
	"eq máy ép bùn băng tải|Tsurumi|BP-1000",
	"eq lò đốt chất thải rắn 500 kg/giờ|Môi trường Xanh Miền Trung|LĐ-500",
	"eq máy đo khí thải cầm tay|Testo|350",
	"ip patent",
	"ip utility_solution",
	"ip patent_pending",
	"ip trade_secret",

	"@ Kiểm nghiệm, thiết bị y tế và phòng thí nghiệm",
	"weight 2",
	"sector 2.6",
	"sector 3.1",
	"sector 3.3",
	"sector 1.4",
	"sector 1.6",
	"p dư lượng thuốc bảo vệ thực vật",
	"p kim loại nặng trong nước",
	"p độc tố aflatoxin",
	"p vi khuẩn Salmonella",
	"p chất cấm trong thức ăn chăn nuôi",
	"kw kiểm nghiệm",
	"kw an toàn thực phẩm",
	"kw phòng thí nghiệm",
	"kw thiết bị y tế",
	"kw phân tích",
	"kw ISO/IEC 17025",
	"to Bộ kit phát hiện nhanh {p}",
	"to Quy trình phân tích {p} bằng HPLC",
	"to Cảm biến điện hóa xác định {p}",
	"td Cần phương pháp kiểm nghiệm {p} tại chỗ",
	"td Cần chuyển giao quy trình phân tích {p}",
	"ctx Việc kiểm soát {p} tại {prov} hiện phải gửi mẫu đi xa, mất nhiều ngày và tốn kém.",
	"ctx Thị trường xuất khẩu ngày càng siết giới hạn {p} trong nông sản và thực phẩm.",
	"tdc Đơn vị kiểm tra khoảng {n} mẫu mỗi năm và cần tự kiểm soát {p} tại {prov}.",
	"sum Xác định {p} trong 15–30 phút, độ chính xác tương đương phương pháp chuẩn của phòng thí nghiệm.",
	"sum Phù hợp trung tâm kiểm nghiệm và doanh nghiệp cần tự kiểm soát {p}.",
	"eq máy đo quang phổ UV-Vis|Shimadzu|UV-1800",
	"eq máy sắc ký lỏng hiệu năng cao HPLC|Agilent|1260 Infinity II",
	"eq máy quang phổ hấp thụ nguyên tử|PerkinElmer|PinAAcle 900T",
	"eq tủ an toàn sinh học cấp II|Esco|AC2-4S8",
	"eq máy ly tâm lạnh|Eppendorf|5810 R",
	"eq máy siêu âm chẩn đoán|GE Healthcare|Logiq P9",
	"eq máy xét nghiệm sinh hóa tự động|Beckman Coulter|AU480",
	"eq nồi hấp tiệt trùng 100 lít|Hirayama|HV-110",
	"ip patent",
	"ip patent_pending",
	"ip utility_solution",
	"ip trade_secret",

	"@ Năng lượng tái tạo",
	"weight 2",
	"sector 2.2",
	"sector 2.11",
	"sector 2.7",
	"p trang trại chăn nuôi",
	"p nhà xưởng chế biến",
	"p hộ gia đình vùng cát",
	"p hợp tác xã thủy sản",
	"p trường học",
	"p trạm bơm tưới",
	"kw năng lượng tái tạo",
	"kw điện mặt trời",
	"kw tiết kiệm năng lượng",
	"kw biogas",
	"kw giảm phát thải",
	"kw lưu trữ năng lượng",
	"to Hệ thống điện mặt trời áp mái cho {p}",
	"to Công nghệ khí sinh học phát điện cho {p}",
	"to Hệ thống lưu trữ điện bằng pin lithium cho {p}",
	"to Giải pháp điện gió quy mô nhỏ cho {p}",
	"to Công nghệ sấy bằng năng lượng mặt trời cho {p}",
	"td Cần giải pháp tiết kiệm năng lượng cho {p}",
	"td Cần hệ thống điện mặt trời hòa lưới cho {p}",
	"td Cần công nghệ tận dụng nhiệt thải cho {p}",
	"ctx Chi phí điện năng chiếm tỷ trọng lớn trong vận hành của {p} tại {prov}.",
	"ctx Bức xạ mặt trời và gió tại {prov} thuận lợi nhưng chưa được tận dụng cho {p}.",
	"tdc Đơn vị có khoảng {n} kW phụ tải cho {p} tại {prov}, muốn giảm chi phí điện.",
	"sum Giảm 30–60% chi phí điện năng của {p}, hoàn vốn trong 4–6 năm nhờ bức xạ mặt trời cao của miền Trung.",
	"sum Thiết kế theo mô-đun, dễ mở rộng, giám sát từ xa qua điện thoại; phù hợp {p}.",
	"eq tấm pin năng lượng mặt trời 550 Wp|JA Solar|JAM72S30",
	"eq biến tần hòa lưới 50 kW|Sungrow|SG50CX",
	"eq tua-bin gió trục đứng 5 kW|Ryse|VW-5K",
	"eq hệ thống lưu trữ pin lithium 100 kWh|BYD|Battery-Box Premium",
	"eq máy phát điện biogas 30 kW|Cummins|C30 N6",
	"ip utility_solution",
	"ip patent",
	"ip none",
	"ip trade_secret",

	"@ Chăn nuôi và thú y",
	"weight 1",
	"sector 4.2",
	"sector 4.3",
	"p gà đồi",
	"p lợn đen bản địa",
	"p bò lai Brahman",
	"p dê",
	"p vịt biển",
	"p ong mật",
	"kw chăn nuôi",
	"kw an toàn sinh học",
	"kw thú y",
	"kw thức ăn chăn nuôi",
	"kw giống vật nuôi",
	"kw men vi sinh",
	"to Quy trình nuôi {p} an toàn sinh học",
	"to Thức ăn lên men bổ sung men vi sinh cho {p}",
	"to Quy trình phòng bệnh tổng hợp cho {p}",
	"td Cần quy trình nuôi {p} theo hướng hữu cơ",
	"td Cần giống {p} năng suất cao thích nghi khí hậu miền Trung",
	"ctx Chăn nuôi {p} tại {prov} chủ yếu theo hình thức nông hộ, năng suất thấp và dịch bệnh khó kiểm soát.",
	"tdc Đơn vị đang chăn nuôi {p} với quy mô khoảng {n} con tại {prov}.",
	"sum Tăng trọng nhanh, giảm dùng kháng sinh, phù hợp chăn nuôi {p} ở nông hộ vùng gò đồi.",
	"sum Giảm tỷ lệ hao hụt đàn {p}, nâng cao thu nhập cho hộ chăn nuôi.",
	"eq máy ép cám viên|Cơ khí Chăn nuôi Việt|ÉP-300",
	"eq máy ấp trứng tự động 1000 quả|Ánh Dương|AD-1000",
	"eq hệ thống làm mát chuồng trại|Munters|EM50",
	"ip trade_secret",
	"ip utility_solution",
	"ip none",
	"ip patent_pending",

	"@ Vật liệu và xây dựng",
	"weight 1",
	"sector 2.5",
	"sector 2.1",
	"p gạch không nung",
	"p bê tông nhẹ",
	"p vật liệu composite",
	"p tấm lợp sinh học",
	"p vữa khô trộn sẵn",
	"kw vật liệu xây dựng",
	"kw vật liệu mới",
	"kw tro xỉ",
	"kw xây dựng xanh",
	"kw cát trắng",
	"kw bê tông",
	"to Công nghệ sản xuất {p} từ tro xỉ nhiệt điện",
	"to Công nghệ sản xuất {p} từ cát trắng Quảng Trị",
	"to Quy trình sản xuất {p} chịu mặn cho vùng ven biển",
	"td Cần công nghệ sản xuất {p} giá thành thấp",
	"td Cần chuyển giao dây chuyền sản xuất {p}",
	"ctx Nhu cầu {p} cho công trình nông thôn và ven biển tại {prov} tăng, trong khi nguyên liệu truyền thống ngày càng khan hiếm.",
	"tdc Đơn vị sản xuất vật liệu xây dựng tại {prov} với công suất {n} tấn/tháng, muốn bổ sung {p}.",
	"sum Tận dụng nguyên liệu tại chỗ, {p} đạt TCVN, phù hợp công trình nông thôn và ven biển.",
	"sum {p} nhẹ, bền, cách nhiệt tốt, giảm chi phí xây dựng.",
	"eq máy ép gạch không nung tự động|Tín Phát|QT6-15",
	"eq trạm trộn bê tông 60 m³/giờ|Sicoma|HZS60",
	"eq máy thử nén bê tông 2000 kN|Matest|C089",
	"ip patent",
	"ip utility_solution",
	"ip industrial_design",
	"ip trade_secret",

	"@ Trồng trọt và công nghệ sinh học nông nghiệp",
	"weight 2",
	"sector 4.1",
	"sector 4.4",
	"sector 4.5",
	"p lúa chịu mặn",
	"p hồ tiêu",
	"p cà phê chè",
	"p nấm linh chi",
	"p nấm sò",
	"p keo lai",
	"p cam",
	"kw giống cây trồng",
	"kw nuôi cấy mô",
	"kw VietGAP",
	"kw nông nghiệp hữu cơ",
	"kw chế phẩm sinh học",
	"kw canh tác bền vững",
	"to Quy trình nhân giống {p} bằng nuôi cấy mô",
	"to Chế phẩm sinh học phòng trừ bệnh hại {p}",
	"to Quy trình canh tác {p} theo tiêu chuẩn VietGAP",
	"to Giống {p} năng suất cao",
	"td Cần chế phẩm sinh học cải tạo đất trồng {p}",
	"td Cần quy trình canh tác {p} hữu cơ",
	"td Cần giống {p} sạch bệnh",
	"ctx Diện tích {p} tại {prov} lớn nhưng năng suất chưa cao do giống thoái hóa và sâu bệnh.",
	"ctx Nông dân trồng {p} còn dùng nhiều phân bón hóa học, đất bị thoái hóa.",
	"tdc Đơn vị liên kết với nông dân trồng {p} trên diện tích khoảng {n} ha tại {prov}.",
	"sum Giảm phân bón hóa học và thuốc bảo vệ thực vật, nâng cao năng suất {p} và thu nhập cho nông dân.",
	"sum Giống {p} sạch bệnh, đồng đều, đã khảo nghiệm tại các huyện của Quảng Trị.",
	"eq hệ thống tưới nhỏ giọt tự động|Netafim|NMC-Pro",
	"eq phòng nuôi cấy mô thực vật|Thiết bị Sinh học Việt|NCM-20",
	"eq máy cấy lúa|Kubota|SPW-48C",
	"eq máy gặt đập liên hợp|Kubota|DC-70 Plus",
	"ip plant_variety",
	"ip patent",
	"ip trade_secret",
	"ip utility_solution",
	NULL,
};

/* Slots every domain must fill, and those shared by all. */
#define DOMAIN_SLOTS "weight sector p kw to td ctx tdc sum eq ip"
#define SHARED_SLOTS "org eo ed mto mtd dsol dres tdneed deo ded deq dedq cto ctd ceq rej sus"

static const char *const setup_sql[] = {
	"SET client_min_messages = warning",
	"SET jit = off",
	"SET work_mem = '64MB'",
	/* A number from 0 to 2^31-1, fixed by the row number and the salt. */
	"CREATE FUNCTION pg_temp.rnd(i bigint, salt integer) RETURNS integer LANGUAGE sql IMMUTABLE AS"
	" $$ SELECT (hashint8extended(i, salt) & 2147483647)::integer $$",
	"CREATE FUNCTION pg_temp.pick(a anyarray, i bigint, salt integer) RETURNS anyelement"
	" LANGUAGE sql IMMUTABLE AS $$ SELECT a[1 + pg_temp.rnd(i, salt) % cardinality(a)] $$",
	/* Two distinct elements of a (which has at least two). */
	"CREATE FUNCTION pg_temp.pick2(a anyarray, i bigint, salt integer) RETURNS anyarray"
	" LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY[a[1 + x], a[1 + (x + 1 + pg_temp.rnd(i, salt + 1)"
	" % (cardinality(a) - 1)) % cardinality(a)]] FROM (SELECT pg_temp.rnd(i, salt) % cardinality(a) AS x) s $$",
	/* The placeholders of a sentence, numbers from the row. */
	"CREATE FUNCTION pg_temp.fill(t text, i bigint, p text, prov text, e text, m text, mo text, y integer)"
	" RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT"
	" replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t,"
	" '{p}', coalesce(p, '')), '{prov}', coalesce(prov, '')),"
	" '{E}', coalesce(upper(left(e, 1)) || substr(e, 2), '')), '{e}', coalesce(e, '')),"
	" '{mo}', coalesce(mo, '')), '{m}', coalesce(m, '')), '{y}', coalesce(y::text, '')),"
	" '{n}', (20 + pg_temp.rnd(i, 101) % 480 * 5)::text), '{pct2}', (1 + pg_temp.rnd(i, 102) % 5)::text),"
	" '{pct}', (15 + pg_temp.rnd(i, 103) % 40)::text), '{yr}', (1 + pg_temp.rnd(i, 104) % 4)::text),"
	" '{t}', (45 + pg_temp.rnd(i, 105) % 25)::text), '{h}', (6 + pg_temp.rnd(i, 106) % 30)::text) $$",
	"CREATE TEMP TABLE seed_vocab (domain integer, slot text, words text[])",
};

/* The vocabulary ($1) into seed_vocab: domain 0 is the shared part. */
static const char load_vocab_sql[] =
	"INSERT INTO seed_vocab"
	" SELECT domain, slot, array_agg(word ORDER BY n) FROM ("
	"   SELECT n, split_part(l, ' ', 1) AS slot, substr(l, strpos(l, ' ') + 1) AS word,"
	"          count(*) FILTER (WHERE l LIKE '@%') OVER (ORDER BY n)::integer AS domain"
	"     FROM unnest(string_to_array($1, E'\\n')) WITH ORDINALITY AS t (l, n) WHERE l <> '') s"
	" WHERE slot <> '@' GROUP BY domain, slot";

/* A domain or slot the vocabulary lacks, or a keyword the API would refuse (over 50 characters). */
static const char check_vocab_sql[] =
	"SELECT format('domain %s lacks %s', d.domain, s.slot)"
	"  FROM (SELECT DISTINCT domain FROM seed_vocab WHERE domain > 0) d,"
	"       unnest(string_to_array('" DOMAIN_SLOTS "', ' ')) s (slot)"
	" WHERE NOT EXISTS (SELECT 1 FROM seed_vocab v WHERE v.domain = d.domain AND v.slot = s.slot)"
	" UNION ALL SELECT 'shared entries lack ' || s.slot FROM unnest(string_to_array('" SHARED_SLOTS "', ' ')) s (slot)"
	" WHERE NOT EXISTS (SELECT 1 FROM seed_vocab v WHERE v.domain = 0 AND v.slot = s.slot)"
	" UNION ALL SELECT format('domain %s: %s needs two entries', domain, slot) FROM seed_vocab"
	" WHERE slot IN ('kw', 'p', 'eq') AND cardinality(words) < 2"
	" UNION ALL SELECT 'keyword over 50 characters: ' || w FROM seed_vocab, unnest(words) w"
	" WHERE slot IN ('kw', 'p', 'eq') AND char_length(split_part(w, '|', 1)) > 50"
	" UNION ALL SELECT 'unknown sector ' || w FROM seed_vocab, unnest(words) w"
	" WHERE slot = 'sector' AND NOT EXISTS (SELECT 1 FROM sectors WHERE code = w)"
	" LIMIT 1";

/*
 * Who verifies the demo organisations: the first administrator, else one
 * made for it, without a usable password (no hash parses as '!').
 */
static const char verifier_sql[] =
	"WITH found AS (SELECT id FROM users WHERE role = 'admin' ORDER BY created_at, id LIMIT 1),"
	" made AS (INSERT INTO users (id, email, password_hash, display_name, role)"
	"          SELECT '5eed0000-0000-4000-8000-00000000ad00', 'seed-demo@sokhcn.demo.vn', '!',"
	"                 'Dữ liệu minh hoạ (seed-demo)', 'admin'"
	"           WHERE NOT EXISTS (SELECT 1 FROM found) ON CONFLICT DO NOTHING RETURNING id)"
	" SELECT id FROM found UNION ALL SELECT id FROM made";

/* The demo organisations ($1: their verifier), kept as they are when present. */
static const char orgs_sql[] =
	"INSERT INTO organizations (id, name, kind, province, description, verified_at, verified_by, verification_note)"
	" SELECT split_part(w, '|', 1)::uuid, split_part(w, '|', 2), split_part(w, '|', 3), split_part(w, '|', 4),"
	"        split_part(w, '|', 6), CASE WHEN verified THEN now() END, CASE WHEN verified THEN $1::uuid END,"
	"        CASE WHEN verified THEN 'Dữ liệu minh hoạ (seed-demo)' END"
	"   FROM seed_vocab, unnest(words) w, LATERAL (SELECT split_part(w, '|', 5) <> 'unverified' AS verified) v"
	"  WHERE domain = 0 AND slot = 'org'"
	" ON CONFLICT (id) DO NOTHING";

/*
 * Everything a batch reads, once: the domains with their weights, the
 * organisations by role (as verified now), provinces, indicators and the
 * shared words.
 */
static const char context_sql[] =
	"CREATE TEMP TABLE seed_domains AS"
	" SELECT domain AS d, (max(words) FILTER (WHERE slot = 'weight'))[1]::integer AS weight,"
	"        max(words) FILTER (WHERE slot = 'sector') AS sectors, max(words) FILTER (WHERE slot = 'p') AS products,"
	"        max(words) FILTER (WHERE slot = 'kw') AS kw, max(words) FILTER (WHERE slot = 'to') AS t_to,"
	"        max(words) FILTER (WHERE slot = 'td') AS t_td, max(words) FILTER (WHERE slot = 'sum') AS sums,"
	"        max(words) FILTER (WHERE slot = 'eq') AS eq, max(words) FILTER (WHERE slot = 'ip') AS ip,"
	"        max(words) FILTER (WHERE slot = 'ctx') AS ctx, max(words) FILTER (WHERE slot = 'tdc') AS tdc"
	"   FROM seed_vocab WHERE domain > 0 GROUP BY domain;"
	" CREATE TEMP TABLE seed_orgs AS"
	" SELECT split_part(w, '|', 1)::uuid AS id, split_part(w, '|', 5) AS role"
	"   FROM seed_vocab, unnest(words) w WHERE domain = 0 AND slot = 'org';"
	" CREATE TEMP TABLE seed_ctx AS"
	" SELECT (SELECT array_agg(d ORDER BY d) FROM seed_domains, generate_series(1, weight)) AS domain_pick,"
	"        (SELECT array_agg(o.id ORDER BY o.id) FROM seed_orgs s JOIN organizations o USING (id)"
	"          WHERE o.verified_at IS NOT NULL AND s.role IN ('supply', 'both')) AS supply_orgs,"
	"        (SELECT array_agg(o.id ORDER BY o.id) FROM seed_orgs s JOIN organizations o USING (id)"
	"          WHERE o.verified_at IS NOT NULL AND s.role IN ('demand', 'both')) AS demand_orgs,"
	"        (SELECT array_agg(o.id ORDER BY o.id) FROM seed_orgs s JOIN organizations o USING (id)"
	"          WHERE o.verified_at IS NOT NULL) AS verified_orgs,"
	"        (SELECT array_agg(o.id ORDER BY o.id) FROM seed_orgs s JOIN organizations o USING (id)"
	"          WHERE o.verified_at IS NULL) AS unverified_orgs,"
	"        (SELECT array_agg(slug ORDER BY sort_order) FROM provinces) AS prov_slugs,"
	"        (SELECT array_agg(name_vi ORDER BY sort_order) FROM provinces) AS prov_names,"
	"        (SELECT array_agg(code ORDER BY sort_order) FROM plan_indicators) AS indicators,"
	"        v.*"
	"   FROM (SELECT max(words) FILTER (WHERE slot = 'eo') AS eo, max(words) FILTER (WHERE slot = 'ed') AS ed,"
	"                max(words) FILTER (WHERE slot = 'mto') AS mto, max(words) FILTER (WHERE slot = 'mtd') AS mtd,"
	"                max(words) FILTER (WHERE slot = 'dsol') AS dsol, max(words) FILTER (WHERE slot = 'dres') AS dres,"
	"                max(words) FILTER (WHERE slot = 'tdneed') AS tdneed, max(words) FILTER (WHERE slot = 'deo') AS deo,"
	"                max(words) FILTER (WHERE slot = 'ded') AS ded, max(words) FILTER (WHERE slot = 'deq') AS deq,"
	"                max(words) FILTER (WHERE slot = 'dedq') AS dedq,"
	"                max(words) FILTER (WHERE slot = 'cto') AS cto, max(words) FILTER (WHERE slot = 'ctd') AS ctd,"
	"                max(words) FILTER (WHERE slot = 'ceq') AS ceq, max(words) FILTER (WHERE slot = 'rej') AS rej,"
	"                max(words) FILTER (WHERE slot = 'sus') AS sus"
	"           FROM seed_vocab WHERE domain = 0) v";

/* Counters at least the highest number used per kind and year, whoever inserted the listing. */
static const char reconcile_sql[] =
	"INSERT INTO listing_ref_counters AS rc (kind_code, year, last)"
	" SELECT substr(ref, 4, 2), substr(ref, 7, 4)::integer, max(substr(ref, 12)::integer)"
	"   FROM listings GROUP BY 1, 2"
	" ON CONFLICT (kind_code, year) DO UPDATE SET last = excluded.last WHERE rc.last < excluded.last";

/*
 * One batch: rows $1 .. $1 + $2 - 1.  The counters of the kinds and years
 * the rows need are advanced in the same statement (a row lock that
 * listing_create waits on until the commit), and each row takes the next
 * number of its kind and year.  Per status, listings are of a plausible
 * age: published and suspended ones were published less than 170 days ago
 * (not yet expired), expired ones more than 190 days ago.
 */
/* One literal, so that the statement is text of the source (tests/sql_literals): longer than
 * the 4,095 characters ISO C promises, which GCC and Clang both take. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
static const char batch_sql[] =
	"WITH a AS ("
	"  SELECT i, r.dn,"
	"         CASE WHEN r_kind < 35 THEN 'technology_offer' WHEN r_kind < 60 THEN 'technology_demand'"
	"              WHEN r_kind < 85 THEN 'equipment_offer' ELSE 'equipment_demand' END AS kind,"
	"         CASE WHEN r_status < 70 THEN 'published' WHEN r_status < 76 THEN 'draft'"
	"              WHEN r_status < 82 THEN 'pending_review' WHEN r_status < 86 THEN 'rejected'"
	"              WHEN r_status < 91 THEN 'closed' WHEN r_status < 96 THEN 'expired' ELSE 'suspended' END AS status,"
	"         pg_temp.pick(d.products, i, 9) AS product,"
	"         pg_temp.pick(d.eq, i, 7) AS eq_item"
	"    FROM generate_series($1::bigint, $1::bigint + $2::bigint - 1) AS i"
	"   CROSS JOIN seed_ctx x"
	"   CROSS JOIN LATERAL (SELECT pg_temp.pick(x.domain_pick, i, 1) AS dn,"
	"                              pg_temp.rnd(i, 2) % 100 AS r_kind, pg_temp.rnd(i, 3) % 100 AS r_status) r"
	"   JOIN seed_domains d ON d.d = r.dn),"
	" b AS ("
	"  SELECT a.*, o.org, tpl.eq_tpl, e.*,"
	"         CASE WHEN pg_temp.rnd(i, 41) % 100 < 55 THEN og.province"
	"              WHEN pg_temp.rnd(i, 41) % 100 < 80 THEN 'quang-tri'"
	"              ELSE pg_temp.pick(x.prov_slugs, i, 42) END AS province,"
	"         make_interval(secs => CASE status"
	"              WHEN 'published' THEN 3600 + pg_temp.rnd(i, 4) % (170 * 86400)"
	"              WHEN 'suspended' THEN 5 * 86400 + pg_temp.rnd(i, 4) % (160 * 86400)"
	"              WHEN 'expired' THEN 200 * 86400 + pg_temp.rnd(i, 4) % (220 * 86400)"
	"              WHEN 'closed' THEN 20 * 86400 + pg_temp.rnd(i, 4) % (400 * 86400)"
	"              WHEN 'draft' THEN 600 + pg_temp.rnd(i, 4) % (60 * 86400)"
	"              WHEN 'pending_review' THEN 600 + pg_temp.rnd(i, 4) % (30 * 86400)"
	"              ELSE 3 * 86400 + pg_temp.rnd(i, 4) % (120 * 86400) END) AS age"
	"    FROM a CROSS JOIN seed_ctx x"
	"   CROSS JOIN LATERAL (SELECT CASE"
	"              WHEN a.status IN ('draft', 'pending_review') AND x.unverified_orgs IS NOT NULL"
	"                   AND pg_temp.rnd(i, 40) % 100 < 20 THEN pg_temp.pick(x.unverified_orgs, i, 43)"
	"              WHEN a.kind = 'technology_offer' THEN pg_temp.pick(x.supply_orgs, i, 43)"
	"              WHEN a.kind = 'equipment_offer' THEN pg_temp.pick(x.verified_orgs, i, 43)"
	"              ELSE pg_temp.pick(x.demand_orgs, i, 43) END AS org) o"
	"    JOIN organizations og ON og.id = o.org"
	"   CROSS JOIN LATERAL (SELECT CASE WHEN a.kind = 'equipment_offer' THEN pg_temp.pick(x.eo, i, 8)"
	"                                   WHEN a.kind = 'equipment_demand' THEN pg_temp.pick(x.ed, i, 8) END AS eq_tpl) tpl"
	"   CROSS JOIN LATERAL (SELECT split_part(a.eq_item, '|', 1) AS e_name, split_part(a.eq_item, '|', 2) AS e_maker,"
	"                              split_part(a.eq_item, '|', 3) AS e_model,"
	"                              split_part(tpl.eq_tpl, '|', 2) AS e_condition) e),"
	" c AS ("
	"  SELECT b.*, now() - b.age AS created_at,"
	"         lower(left(pn.name, 1)) || substr(pn.name, 2) AS prov_name,"
	"         CASE e_condition WHEN 'new' THEN extract(year FROM now())::integer - pg_temp.rnd(i, 60) % 2"
	"                          WHEN 'used' THEN 2010 + pg_temp.rnd(i, 60) % 14"
	"                          ELSE 2008 + pg_temp.rnd(i, 60) % 12 END AS e_year,"
	"         CASE WHEN status IN ('published', 'closed', 'expired', 'suspended')"
	"              THEN now() - b.age + least(b.age / 2, make_interval(secs => 3600 + pg_temp.rnd(i, 5) % (10 * 86400)))"
	"         END AS published_at"
	"    FROM b CROSS JOIN seed_ctx x"
	"   CROSS JOIN LATERAL (SELECT x.prov_names[array_position(x.prov_slugs, b.province)] AS name) pn),"
	" g AS MATERIALIZED ("
	"  SELECT c.*, listing_kind_code(kind) AS code,"
	"         extract(year FROM created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::integer AS yr,"
	"         published_at + interval '180 days' AS pub_expiry"
	"    FROM c),"
	" need AS (SELECT code, yr, count(*)::integer AS n FROM g GROUP BY code, yr),"
	" reserved AS ("
	"  INSERT INTO listing_ref_counters AS rc (kind_code, year, last) SELECT code, yr, n FROM need"
	"  ON CONFLICT (kind_code, year) DO UPDATE SET last = rc.last + excluded.last"
	"  RETURNING rc.kind_code, rc.year, rc.last),"
	" numbered AS ("
	"  SELECT g.*, r.last - need.n + row_number() OVER (PARTITION BY g.code, g.yr ORDER BY g.i) AS num"
	"    FROM g JOIN need USING (code, yr) JOIN reserved r ON r.kind_code = g.code AND r.year = g.yr),"
	" ins AS ("
	"  INSERT INTO listings (ref, kind, status, organization_id, title, summary, description, sector, keywords, trl,"
	"                        ip_status, transfer_modes, price_min_vnd, price_max_vnd, province, expires_at, indicators,"
	"                        st_task, equipment, confidential, anonymous, status_reason, published_at, listed_at,"
	"                        created_at, updated_at, version)"
	"  SELECT format('QT-%s-%s-%s', code, yr, lpad(num::text, greatest(6, length(num::text)), '0')),"
	"         kind, status, org,"
	/* title */
	"         CASE kind WHEN 'technology_offer' THEN replace(pg_temp.pick(t_to, i, 6), '{p}', product)"
	"                   WHEN 'technology_demand' THEN replace(pg_temp.pick(t_td, i, 6), '{p}', product)"
	"                   ELSE replace(split_part(eq_tpl, '|', 1), '{e}', e_name) END,"
	/* summary */
	"         CASE WHEN kind = 'technology_offer' THEN pg_temp.fill(pg_temp.pick(sums, i, 10), i, product, prov_name,"
	"                                                                NULL, NULL, NULL, NULL)"
	"              WHEN kind = 'technology_demand' THEN pg_temp.fill(pg_temp.pick(tdc, i, 10), i, product, prov_name,"
	"                                                                 NULL, NULL, NULL, NULL)"
	"              WHEN kind = 'equipment_offer' THEN format('%s %s %s, sản xuất năm %s, %s.',"
	"                   upper(left(e_name, 1)) || substr(e_name, 2), e_maker, e_model, e_year,"
	"                   CASE e_condition WHEN 'new' THEN 'mới, còn nguyên đai kiện'"
	"                                    WHEN 'used' THEN 'đã qua sử dụng, hoạt động tốt' ELSE 'đã tân trang' END)"
	"              ELSE format('Cần %s, ưu tiên hãng %s hoặc tương đương; giao tại %s.', e_name, e_maker, prov_name)"
	"         END,"
	/* description */
	"         CASE kind"
	"           WHEN 'technology_offer' THEN concat_ws(' ',"
	"                pg_temp.fill(pg_temp.pick(ctx, i, 11), i, product, prov_name, NULL, NULL, NULL, NULL),"
	"                pg_temp.fill(pg_temp.pick(dsol, i, 12), i, product, prov_name, NULL, NULL, NULL, NULL),"
	"                pg_temp.fill(pg_temp.pick(dres, i, 13), i, product, prov_name, NULL, NULL, NULL, NULL))"
	"           WHEN 'technology_demand' THEN concat_ws(' ',"
	"                pg_temp.fill(pg_temp.pick(ctx, i, 11), i, product, prov_name, NULL, NULL, NULL, NULL),"
	"                pg_temp.fill(pg_temp.pick(tdneed, i, 12), i, product, prov_name, NULL, NULL, NULL, NULL))"
	"           WHEN 'equipment_offer' THEN concat_ws(' ',"
	"                pg_temp.fill(pg_temp.pick(deo, i, 11), i, NULL, prov_name, e_name, e_maker, e_model, e_year),"
	"                pg_temp.pick(deq, i, 12))"
	"           ELSE concat_ws(' ',"
	"                pg_temp.fill(pg_temp.pick(ded, i, 11), i, NULL, prov_name, e_name, e_maker, e_model, e_year),"
	"                pg_temp.pick(dedq, i, 12)) END,"
	"         pg_temp.pick(sectors, i, 14),"
	/* keywords: the product or the equipment, and two of the domain's */
	"         ARRAY[CASE WHEN kind LIKE 'technology%' THEN product ELSE e_name END] || pg_temp.pick2(kw, i, 15),"
	/* trl: required for offers, the minimum wanted for most demands */
	"         CASE WHEN kind = 'technology_offer' THEN pg_temp.pick('{3,4,5,5,6,6,7,7,7,8,8,9}'::smallint[], i, 17)"
	"              WHEN kind = 'technology_demand' AND pg_temp.rnd(i, 18) % 100 < 80"
	"              THEN pg_temp.pick('{4,5,6,7,8}'::smallint[], i, 17) END,"
	"         CASE WHEN kind = 'technology_offer' THEN pg_temp.pick(ip, i, 19)"
	"              WHEN kind = 'technology_demand' AND pg_temp.rnd(i, 19) % 100 < 30 THEN 'none' END,"
	/* transfer modes: sale and lease for equipment only */
	"         CASE WHEN kind LIKE 'equipment%' THEN string_to_array(split_part(eq_tpl, '|', 3), ',')"
	"              WHEN pg_temp.rnd(i, 20) % 100 < 10 THEN '{}'::text[]"
	"              WHEN kind = 'technology_offer' THEN string_to_array(pg_temp.pick(mto, i, 21), ',')"
	"              ELSE string_to_array(pg_temp.pick(mtd, i, 21), ',') END,"
	/* prices in VND, min <= max; none at all means negotiable */
	"         p.price_min, p.price_max,"
	"         province,"
	"         CASE WHEN status IN ('published', 'suspended', 'expired', 'closed') THEN pub_expiry END,"
	"         CASE WHEN pg_temp.rnd(i, 30) % 100 < 45 THEN '{}'::text[]"
	"              WHEN pg_temp.rnd(i, 30) % 100 < 85 THEN ARRAY[pg_temp.pick(indicators, i, 31)]"
	"              ELSE pg_temp.pick2(indicators, i, 31) END,"
	"         CASE WHEN kind = 'technology_offer' AND org = ANY (supply_orgs) AND pg_temp.rnd(i, 32) % 100 < 35"
	"              THEN format('NV-QT-%s-%s', 2018 + pg_temp.rnd(i, 33) % 7, lpad((1 + pg_temp.rnd(i, 34) % 30)::text, 2, '0'))"
	"         END,"
	"         CASE WHEN kind LIKE 'equipment%' THEN jsonb_build_object('condition', e_condition, 'manufacturer', e_maker,"
	"                   'model', e_model, 'year', e_year,"
	"                   'quantity', CASE WHEN pg_temp.rnd(i, 35) % 100 < 85 THEN 1 ELSE 2 + pg_temp.rnd(i, 36) % 9 END)"
	"         END,"
	"         CASE WHEN kind = 'technology_offer' AND pg_temp.rnd(i, 37) % 100 < 40"
	"              THEN pg_temp.fill(pg_temp.pick(cto, i, 38), i, product, prov_name, NULL, NULL, NULL, NULL)"
	"              WHEN kind = 'technology_demand' AND pg_temp.rnd(i, 37) % 100 < 25"
	"              THEN pg_temp.fill(pg_temp.pick(ctd, i, 38), i, product, prov_name, NULL, NULL, NULL, NULL)"
	"              WHEN kind = 'equipment_offer' AND pg_temp.rnd(i, 37) % 100 < 10"
	"              THEN pg_temp.fill(pg_temp.pick(ceq, i, 38), i, NULL, prov_name, e_name, e_maker, e_model, e_year)"
	"         END,"
	"         pg_temp.rnd(i, 39) % 100 < CASE kind WHEN 'technology_demand' THEN 15 ELSE 6 END,"
	"         CASE status WHEN 'rejected' THEN pg_temp.pick(rej, i, 44) WHEN 'suspended' THEN pg_temp.pick(sus, i, 44) END,"
	"         published_at, coalesce(published_at, created_at), created_at,"
	"         CASE status WHEN 'published' THEN published_at"
	"                     WHEN 'expired' THEN pub_expiry"
	"                     WHEN 'closed' THEN published_at + (least(now(), pub_expiry) - published_at) * (pg_temp.rnd(i, 45) % 100 / 100.0::float8)"
	"                     WHEN 'suspended' THEN published_at + (now() - published_at) * (pg_temp.rnd(i, 45) % 100 / 100.0::float8)"
	"                     ELSE created_at + (now() - created_at) * (pg_temp.rnd(i, 45) % 100 / 100.0::float8) END,"
	"         CASE status WHEN 'draft' THEN 1 + pg_temp.rnd(i, 46) % 3 WHEN 'pending_review' THEN 2"
	"                     WHEN 'rejected' THEN 3 WHEN 'published' THEN 3 ELSE 4 END"
	"    FROM numbered CROSS JOIN seed_ctx x JOIN seed_domains d ON d.d = numbered.dn"
	"   CROSS JOIN LATERAL (SELECT"
	"         CASE WHEN pr < n_null OR kind = 'equipment_demand' OR (kind = 'technology_demand' AND pr < 60)"
	"              THEN NULL ELSE lo END AS price_min,"
	"         CASE WHEN pr < n_null OR (kind = 'technology_offer' AND pr < 30) THEN NULL ELSE hi END AS price_max"
	"      FROM (SELECT pg_temp.rnd(i, 22) % 100 AS pr,"
	"                   CASE kind WHEN 'technology_offer' THEN 20 WHEN 'technology_demand' THEN 30"
	"                             WHEN 'equipment_offer' THEN 10 ELSE 40 END AS n_null,"
	"                   base * 1000000 AS lo, base * 1000000 * pg_temp.pick('{100,100,125,150,200,300}'::bigint[], i, 24) / 100 AS hi"
	"              FROM (SELECT CASE"
	"                      WHEN kind = 'technology_offer'"
	"                      THEN pg_temp.pick('{50,80,100,150,200,300,450,600,800,1000,1500,2500}'::bigint[], i, 23)"
	"                      WHEN kind = 'technology_demand' THEN pg_temp.pick('{100,200,300,500,800,1200,2000}'::bigint[], i, 23)"
	"                      WHEN eq_tpl LIKE '%|lease' THEN pg_temp.pick('{3,5,8,12,20,35}'::bigint[], i, 23)"
	"                      ELSE pg_temp.pick('{8,15,25,40,60,90,150,250,400,700,1200,2000}'::bigint[], i, 23)"
	"                    END AS base) x) y) p"
	"  RETURNING status)"
	" SELECT status, count(*) FROM ins GROUP BY status";
#pragma GCC diagnostic pop

static const char *const statuses[] = {"published", "draft", "pending_review", "rejected", "closed", "expired", "suspended"};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* The NULL-terminated parts, each followed by sep, in one malloc'd string. */
static char *join(const char *const *parts, const char *sep)
{
	size_t len = 1;
	for (size_t k = 0; parts[k] != NULL; k++)
		len += strlen(parts[k]) + strlen(sep);
	char *out = malloc(len), *at = out;
	if (out == NULL)
		return NULL;
	for (size_t k = 0; parts[k] != NULL; k++)
		at += sprintf(at, "%s%s", parts[k], sep);
	*at = '\0';
	return out;
}

static void fail(char *err, size_t errlen, const char *what, PGconn *pg)
{
	snprintf(err, errlen, "seed-demo: %s: %s", what, PQerrorMessage(pg));
	for (char *p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
	size_t n = strlen(err);
	while (n > 0 && err[n - 1] == ' ')
		err[--n] = '\0';
}

/* Runs sql with params; the result when it has the wanted status, else NULL with err set. */
static PGresult *run(PGconn *pg, const char *sql, int nparams, const char *const *params, ExecStatusType want,
		     const char *what, char *err, size_t errlen)
{
	PGresult *res = nparams == 0 ? PQexec(pg, sql)
				     : PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != want) {
		fail(err, errlen, what, pg);
		PQclear(res);
		return NULL;
	}
	return res;
}

static bool exec_ok(PGconn *pg, const char *sql, int nparams, const char *const *params, const char *what,
		    char *err, size_t errlen)
{
	PGresult *res = run(pg, sql, nparams, params, PGRES_COMMAND_OK, what, err, errlen);
	PQclear(res);
	return res != NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Temporary functions and tables, the demo organisations and their verifier; committed. */
static bool prepare(PGconn *pg, long *first_row, char *err, size_t errlen)
{
	for (size_t k = 0; k < sizeof setup_sql / sizeof setup_sql[0]; k++)
		if (!exec_ok(pg, setup_sql[k], 0, NULL, "setting up", err, errlen))
			return false;
	char *text = join(vocabulary, "\n");
	const char *vocab[1] = {text};
	if (text == NULL)
		snprintf(err, errlen, "seed-demo: out of memory");
	bool loaded = text != NULL && exec_ok(pg, load_vocab_sql, 1, vocab, "loading the vocabulary", err, errlen);
	free(text);
	if (!loaded)
		return false;
	PGresult *res = run(pg, check_vocab_sql, 0, NULL, PGRES_TUPLES_OK, "checking the vocabulary", err, errlen);
	if (res == NULL)
		return false;
	if (PQntuples(res) > 0) {
		snprintf(err, errlen, "seed-demo: bad vocabulary: %s", PQgetvalue(res, 0, 0));
		PQclear(res);
		return false;
	}
	PQclear(res);

	if (!exec_ok(pg, "BEGIN", 0, NULL, "beginning", err, errlen))
		return false;
	res = run(pg, verifier_sql, 0, NULL, PGRES_TUPLES_OK, "finding an administrator", err, errlen);
	if (res == NULL)
		return false;
	if (PQntuples(res) != 1) {
		snprintf(err, errlen, "seed-demo: no administrator to verify the demo organisations, and "
				      "seed-demo@sokhcn.demo.vn is taken by a member");
		PQclear(res);
		return false;
	}
	char verifier[64];
	snprintf(verifier, sizeof verifier, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	const char *p[1] = {verifier};
	if (!exec_ok(pg, orgs_sql, 1, p, "creating the demo organisations", err, errlen) ||
	    !exec_ok(pg, context_sql, 0, NULL, "preparing", err, errlen) ||
	    !exec_ok(pg, reconcile_sql, 0, NULL, "reconciling the reference counters", err, errlen))
		return false;
	res = run(pg,
		  "SELECT supply_orgs IS NOT NULL AND demand_orgs IS NOT NULL,"
		  " (SELECT count(*) FROM listings l JOIN seed_orgs s ON s.id = l.organization_id) FROM seed_ctx",
		  0, NULL, PGRES_TUPLES_OK, "reading the demo organisations", err, errlen);
	if (res == NULL)
		return false;
	bool orgs_ok = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	*first_row = strtol(PQgetvalue(res, 0, 1), NULL, 10) + 1;
	PQclear(res);
	if (!orgs_ok) {
		snprintf(err, errlen, "seed-demo: the demo organisations that offer and seek technology are "
				      "no longer verified; verify them again or remove them");
		return false;
	}
	return exec_ok(pg, "COMMIT", 0, NULL, "committing the demo organisations", err, errlen);
}

/*
 * Deals on the published listings, between a listing's organisation and
 * another verified demo organisation, in every state (a third completed,
 * six in ten of those verified), created over the last three years, with
 * the S&T tasks that the demo offers name registered: enough for the
 * indicators and the summary report to have something to count.  Events
 * and messages are not generated.  A pick that would open a second open
 * deal on a listing for one organisation is skipped.  $1 first row, $2 count.
 */
static const char deals_setup_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS seed_pub AS"
	" SELECT row_number() OVER (ORDER BY id) AS i, id, organization_id AS org, kind FROM listings"
	"  WHERE status = 'published';"
	" INSERT INTO st_tasks (code, title, host_organization, year_accepted)"
	" SELECT DISTINCT st_task, format('Nhiệm vụ khoa học và công nghệ %s (demo)', st_task),"
	"        'Sở Khoa học và Công nghệ Quảng Trị (demo)', split_part(st_task, '-', 3)::integer"
	"   FROM listings WHERE st_task ~ '^NV-QT-[0-9]{4}-[0-9]+$'"
	" ON CONFLICT (code) DO NOTHING";

static const char deals_batch_sql[] =
	"WITH picks AS ("
	" SELECT n, p.id, p.org, p.kind,"
	"        (SELECT CASE WHEN v[k] = p.org THEN v[1 + k % cardinality(v)] ELSE v[k] END"
	"           FROM (SELECT verified_orgs AS v, 1 + pg_temp.rnd(n, 102) % cardinality(verified_orgs) AS k"
	"                   FROM seed_ctx) o) AS ini,"
	"        CASE WHEN pg_temp.rnd(n, 103) % 100 < 30 THEN 'completed' WHEN pg_temp.rnd(n, 103) % 100 < 45 THEN 'proposed'"
	"             WHEN pg_temp.rnd(n, 103) % 100 < 58 THEN 'negotiating' WHEN pg_temp.rnd(n, 103) % 100 < 63 THEN 'agreed'"
	"             WHEN pg_temp.rnd(n, 103) % 100 < 68 THEN 'contracted' WHEN pg_temp.rnd(n, 103) % 100 < 78 THEN 'declined'"
	"             WHEN pg_temp.rnd(n, 103) % 100 < 88 THEN 'withdrawn' WHEN pg_temp.rnd(n, 103) % 100 < 93 THEN 'lapsed'"
	"             WHEN pg_temp.rnd(n, 103) % 100 < 97 THEN 'cancelled' ELSE 'disputed' END AS state,"
	"        now() - (pg_temp.rnd(n, 104) % (3 * 365 * 86400)) * interval '1 second' AS created"
	"   FROM generate_series($1::bigint, $1::bigint + $2::bigint - 1) n"
	"   JOIN seed_pub p ON p.i = 1 + pg_temp.rnd(n, 101) % (SELECT count(*) FROM seed_pub)"
	"), rows AS ("
	" SELECT x.*, least(now(), created + (1 + pg_temp.rnd(n, 105) % 90) * interval '1 day') AS moved,"
	"        x.state NOT IN ('proposed', 'lapsed', 'withdrawn', 'declined', 'cancelled') AS disclosed,"
	"        x.state = 'completed' AND pg_temp.rnd(n, 110) % 100 < 60 AS verified"
	"   FROM picks x"
	")"
	" INSERT INTO deals (listing_id, listing_org, initiator_org, seller_org, buyer_org, state, message,"
	"                    proposed_value_vnd, listing_confirmed_at, initiator_confirmed_at, contract_ref, value_vnd,"
	"                    reason, note, disputed_from, disclosed_at, first_response_at, verified_at, verified_by, state_at,"
	"                    created_at, updated_at)"
	" SELECT id, org, ini, CASE WHEN kind LIKE '%offer' THEN org ELSE ini END,"
	"        CASE WHEN kind LIKE '%offer' THEN ini ELSE org END, state,"
	"        'Chúng tôi quan tâm và muốn trao đổi thêm về điều kiện chuyển giao (demo).',"
	"        CASE WHEN pg_temp.rnd(n, 106) % 100 < 50 THEN (1 + pg_temp.rnd(n, 107) % 100) * 10000000::bigint END,"
	"        CASE WHEN state = 'agreed' THEN moved END, CASE WHEN state = 'agreed' THEN moved END,"
	"        CASE WHEN state IN ('contracted', 'completed') THEN format('HĐ-%s/demo', n) END,"
	"        CASE WHEN state IN ('contracted', 'completed') THEN (1 + pg_temp.rnd(n, 108) % 200) * 10000000::bigint END,"
	"        CASE WHEN state IN ('declined', 'withdrawn') THEN (deal_reasons())[1 + pg_temp.rnd(n, 109) % 8] END,"
	"        CASE WHEN state = 'cancelled' THEN 'Hai bên đề nghị dừng giao dịch (demo).' END,"
	"        CASE WHEN state = 'disputed' THEN 'negotiating' END,"
	"        CASE WHEN disclosed THEN created + interval '1 day' END,"
	"        CASE WHEN state NOT IN ('proposed', 'lapsed', 'withdrawn') THEN created + interval '1 day' END,"
	"        CASE WHEN verified THEN moved END,"
	"        CASE WHEN verified THEN (SELECT u.id FROM users u WHERE u.role = 'admin' ORDER BY u.created_at LIMIT 1) END,"
	"        moved, created, moved"
	"   FROM rows WHERE ini <> org"
	" ON CONFLICT (listing_id, initiator_org) WHERE deal_open(state) DO NOTHING";

/* Adds about `deals` deals (see deals_batch_sql) in batches; false with err set. */
static bool seed_deals(PGconn *pg, int deals, char *err, size_t errlen)
{
	double start = now_s();
	if (!exec_ok(pg, deals_setup_sql, 0, NULL, "preparing the deals", err, errlen))
		return false;
	PGresult *res = run(pg, "SELECT count(*) FROM deals", 0, NULL, PGRES_TUPLES_OK, "counting deals", err, errlen);
	if (res == NULL)
		return false;
	long first = strtol(PQgetvalue(res, 0, 0), NULL, 10) + 1, done = 0;
	PQclear(res);
	bool ok = true;
	while (ok && done < deals) {
		long n = deals - done < BATCH ? deals - done : BATCH;
		char from[24], count[24];
		snprintf(from, sizeof from, "%ld", first + done);
		snprintf(count, sizeof count, "%ld", n);
		const char *params[2] = {from, count};
		ok = exec_ok(pg, deals_batch_sql, 2, params, "inserting deals", err, errlen);
		if (ok)
			done += n;
	}
	if (ok)
		ok = exec_ok(pg, "ANALYZE deals", 0, NULL, "analysing deals", err, errlen);
	if (ok)
		printf("seed-demo: added about %d deals in %.1f s\n", deals, now_s() - start);
	return ok;
}

bool seed_demo_run(const char *conninfo, int listings, int deals, char *err, size_t errlen)
{
	if (listings < 0 || deals < 0 || listings + deals < 1) {
		snprintf(err, errlen, "seed-demo: --listings must be at least 1 unless --deals adds deals");
		return false;
	}
	double start = now_s();
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fail(err, errlen, "cannot connect to the database", pg);
		PQfinish(pg);
		return false;
	}
	long first = 0, counts[NSTATUS] = {0};
	bool ok = prepare(pg, &first, err, errlen);
	long done = 0;
	while (ok && done < listings) {
		long n = listings - done < BATCH ? listings - done : BATCH;
		char from[24], count[24];
		snprintf(from, sizeof from, "%ld", first + done);
		snprintf(count, sizeof count, "%ld", n);
		const char *params[2] = {from, count};
		ok = exec_ok(pg, "BEGIN", 0, NULL, "beginning a batch", err, errlen);
		PGresult *res = ok ? run(pg, batch_sql, 2, params, PGRES_TUPLES_OK, "inserting listings", err, errlen)
				   : NULL;
		ok = res != NULL;
		for (int r = 0; ok && r < PQntuples(res); r++)
			for (size_t s = 0; s < NSTATUS; s++)
				if (strcmp(PQgetvalue(res, r, 0), statuses[s]) == 0)
					counts[s] += strtol(PQgetvalue(res, r, 1), NULL, 10);
		PQclear(res);
		ok = ok && exec_ok(pg, "COMMIT", 0, NULL, "committing a batch", err, errlen);
		if (ok) {
			done += n;
			if (listings > BATCH)
				log_msg(LOG_INFO, NULL, "seed-demo: %ld of %d listings (%.1f s)", done, listings,
					now_s() - start);
		}
	}
	if (ok && done >= 10000)
		ok = exec_ok(pg, "ANALYZE listings", 0, NULL, "analysing listings", err, errlen);
	if (ok && listings > 0) {
		char summary[512], count[24];
		int len = 0;
		for (size_t s = 0; s < NSTATUS; s++)
			len += snprintf(summary + len, sizeof summary - (size_t)len, "%s%s %ld", s ? ", " : "",
					statuses[s], counts[s]);
		snprintf(count, sizeof count, "%d", listings);
		const char *params[2] = {count, summary};
		ok = exec_ok(pg,
			     "INSERT INTO audit_log (actor_id, action, entity, entity_id, after)"
			     " VALUES (NULL, 'listing.seed_demo', 'listing', 'seed-demo',"
			     "         jsonb_build_object('listings', $1::integer, 'statuses', $2::text))",
			     2, params, "recording the run", err, errlen);
		if (ok)
			printf("seed-demo: added %d listings (%s) in %.1f s\n", listings, summary, now_s() - start);
	}
	if (ok && deals > 0)
		ok = seed_deals(pg, deals, err, errlen);
	PQfinish(pg);
	return ok;
}
