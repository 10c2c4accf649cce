-- Demo accounts for a local cluster (scripts/serve.sh applies this after the
-- migrations; never part of a real deployment).  Every password is
-- "mat-khau-demo-2026".  Idempotent.
\set hash '$scrypt$ln=17,r=8,p=1$uNTkCBzUwocL4FKkNx/MNw==$zGCPYB7OdVfehpNaGP8yi1FqOSMJ6v4kOwvstu99AuI='

INSERT INTO users (id, email, password_hash, display_name, role)
VALUES ('00000000-0000-4000-8000-000000000001', 'admin@sokhcn.demo.vn', :'hash',
        'Cán bộ Sở KH&CN Quảng Trị', 'admin')
ON CONFLICT DO NOTHING;

INSERT INTO organizations (id, name, kind, tax_code, province, address, website, description,
                           verified_at, verified_by, verification_note)
VALUES
  ('00000000-0000-4000-8000-0000000000a1', 'Viện Nông nghiệp Bắc Trung Bộ (demo)', 'research_institute',
   NULL, 'quang-tri', 'Đông Hà, Quảng Trị', NULL,
   'Chuyển giao công nghệ sấy nông sản và giống cây dược liệu.',
   now(), '00000000-0000-4000-8000-000000000001', 'Dữ liệu minh hoạ'),
  ('00000000-0000-4000-8000-0000000000a2', 'Công ty TNHH Cơ khí Đông Hà (demo)', 'enterprise',
   '3200000001', 'quang-tri', 'Khu công nghiệp Nam Đông Hà', NULL,
   'Cần dây chuyền sấy hồ tiêu và thiết bị kiểm định chất lượng.',
   now(), '00000000-0000-4000-8000-000000000001', 'Dữ liệu minh hoạ'),
  ('00000000-0000-4000-8000-0000000000a3', 'Nhóm khởi nghiệp Cát Trắng (demo)', 'startup',
   NULL, 'hue', NULL, NULL, 'Đang chờ Sở xác minh.', NULL, NULL, NULL)
ON CONFLICT DO NOTHING;

INSERT INTO users (email, password_hash, display_name, role, organization_id, is_owner)
VALUES
  ('lan.nguyen@vien.demo.vn', :'hash', 'Nguyễn Thị Lan', 'member', '00000000-0000-4000-8000-0000000000a1', true),
  ('minh.tran@cokhi.demo.vn', :'hash', 'Trần Văn Minh', 'member', '00000000-0000-4000-8000-0000000000a2', true),
  ('hoa.le@cattrang.demo.vn', :'hash', 'Lê Thị Hoa', 'member', '00000000-0000-4000-8000-0000000000a3', true)
ON CONFLICT DO NOTHING;

-- A few hand-written listings of the demo organisations, so that each demo
-- account finds its own in several states (GET /listings?mine=true) and the
-- public finds "công nghệ sấy" with or without diacritics.  Each is added
-- once (fixed ids), its ref taken from listing_ref_counters as
-- listing_create takes it; `marketplace seed-demo` (scripts/serve.sh runs
-- it next) adds generated listings of other demo organisations.
WITH demo (id, kind, status, org, author, title, summary, description, sector, keywords, trl, ip_status,
           transfer_modes, price_min_vnd, price_max_vnd, equipment, confidential, anonymous, status_reason,
           created_days_ago, published_days_ago) AS (VALUES
  ('00000000-0000-4000-8000-0000000000b1'::uuid, 'technology_offer', 'published', '00000000-0000-4000-8000-0000000000a1'::uuid,
   'lan.nguyen@vien.demo.vn', 'Công nghệ sấy hồ tiêu bằng năng lượng mặt trời',
   'Máy sấy hồ tiêu dùng năng lượng mặt trời kết hợp bơm nhiệt: hạt tiêu khô đều, giữ màu, độ ẩm dưới 12,5%.',
   'Kết quả nhiệm vụ khoa học cấp tỉnh, thử nghiệm tại Vĩnh Linh và Gio Linh qua hai vụ. Chuyển giao gồm thiết kế nhà sấy, quy trình vận hành và đào tạo kỹ thuật viên của hợp tác xã.',
   '4.1', ARRAY['hồ tiêu', 'sấy', 'năng lượng mặt trời'], 7::smallint, 'utility_solution',
   ARRAY['licensing', 'training'], 150000000::bigint, 300000000::bigint, NULL::jsonb,
   'Bản vẽ nhà sấy 5 tấn/mẻ và số liệu đo nhiệt độ từng giờ; gửi khi hai bên đàm phán.', false, NULL, 40, 35),
  ('00000000-0000-4000-8000-0000000000b2', 'technology_offer', 'draft', '00000000-0000-4000-8000-0000000000a1',
   'lan.nguyen@vien.demo.vn', 'Quy trình nhân giống cà gai leo bằng nuôi cấy mô',
   'Cây giống cà gai leo sạch bệnh, đồng đều, hệ số nhân giống cao.', NULL,
   '4.4', ARRAY['cà gai leo', 'dược liệu', 'nuôi cấy mô'], 6, 'plant_variety',
   ARRAY['licensing'], NULL, NULL, NULL, NULL, false, NULL, 3, NULL),
  ('00000000-0000-4000-8000-0000000000b3', 'technology_offer', 'pending_review', '00000000-0000-4000-8000-0000000000a1',
   'lan.nguyen@vien.demo.vn', 'Chế phẩm vi sinh xử lý phụ phẩm cà phê thành phân bón hữu cơ',
   'Ủ vỏ cà phê thành phân hữu cơ trong 45 ngày, không mùi, dùng cho vườn hồ tiêu và cà phê.', NULL,
   '2.8', ARRAY['cà phê', 'phân bón hữu cơ', 'vi sinh'], 8, 'patent_pending',
   ARRAY['licensing', 'consulting'], 80000000, 120000000, NULL, NULL, false, NULL, 6, NULL),
  ('00000000-0000-4000-8000-0000000000b4', 'technology_offer', 'rejected', '00000000-0000-4000-8000-0000000000a1',
   'lan.nguyen@vien.demo.vn', 'Công nghệ bảo quản sắn tươi sau thu hoạch',
   'Kéo dài thời gian bảo quản củ sắn tươi lên 10 ngày.', NULL,
   '4.1', ARRAY['sắn', 'bảo quản'], 4, 'none',
   ARRAY['licensing'], NULL, NULL, NULL, NULL, false,
   'Mô tả chưa nêu rõ kết quả thử nghiệm; đề nghị bổ sung số liệu và minh chứng.', 20, NULL),
  ('00000000-0000-4000-8000-0000000000b5', 'equipment_offer', 'closed', '00000000-0000-4000-8000-0000000000a1',
   'lan.nguyen@vien.demo.vn', 'Cho thuê tủ sấy đối lưu phòng thí nghiệm',
   'Tủ sấy đối lưu 250 lít, nhiệt độ tới 250°C, đã hiệu chuẩn.', NULL,
   '1.4', ARRAY['tủ sấy', 'phòng thí nghiệm'], NULL, NULL,
   ARRAY['lease'], 5000000, 8000000,
   '{"condition": "used", "manufacturer": "Memmert", "model": "UF260", "year": 2018, "quantity": 1}', NULL, false, NULL, 120, 110),
  ('00000000-0000-4000-8000-0000000000b6', 'technology_demand', 'published', '00000000-0000-4000-8000-0000000000a2',
   'minh.tran@cokhi.demo.vn', 'Cần dây chuyền chế biến tinh bột sắn',
   'Cần dây chuyền chế biến tinh bột sắn công suất 20 tấn củ/ngày, tiết kiệm nước, xử lý được nước thải.',
   'Công ty đang thu mua sắn của nông dân Hướng Hóa và Đakrông, muốn tự chế biến thay vì bán củ tươi. Ưu tiên chuyển giao trọn gói kèm đào tạo.',
   '2.9', ARRAY['sắn', 'tinh bột sắn', 'dây chuyền'], 7, NULL,
   ARRAY['turnkey', 'training'], NULL, 2000000000, NULL,
   'Ngân sách dự kiến 1,8–2 tỷ đồng, vốn vay ưu đãi của Quỹ phát triển KH&CN tỉnh.', false, NULL, 25, 20),
  ('00000000-0000-4000-8000-0000000000b7', 'equipment_offer', 'published', '00000000-0000-4000-8000-0000000000a2',
   'minh.tran@cokhi.demo.vn', 'Bán máy đo quang phổ UV-Vis đã qua sử dụng',
   'Máy đo quang phổ UV-Vis Shimadzu UV-1800, năm 2016, hoạt động tốt, kèm phần mềm.', NULL,
   '1.4', ARRAY['máy đo quang phổ', 'UV-Vis', 'phòng thí nghiệm'], NULL, NULL,
   ARRAY['sale'], 90000000, 110000000,
   '{"condition": "used", "manufacturer": "Shimadzu", "model": "UV-1800", "year": 2016, "quantity": 1}', NULL, false, NULL, 15, 12),
  ('00000000-0000-4000-8000-0000000000b8', 'equipment_demand', 'suspended', '00000000-0000-4000-8000-0000000000a2',
   'minh.tran@cokhi.demo.vn', 'Cần mua máy phay CNC 3 trục',
   'Cần máy phay CNC 3 trục hành trình 800 mm, ưu tiên hãng Mazak hoặc tương đương.', NULL,
   '2.3', ARRAY['CNC', 'cơ khí'], NULL, NULL,
   ARRAY['sale'], NULL, 900000000,
   '{"condition": "used", "manufacturer": "Mazak", "model": "VCN-430A", "year": 2015, "quantity": 1}', NULL, true,
   'Tạm ngừng do thông tin giá chưa chính xác; chờ tổ chức cập nhật.', 60, 55),
  ('00000000-0000-4000-8000-0000000000b9', 'technology_demand', 'expired', '00000000-0000-4000-8000-0000000000a2',
   'minh.tran@cokhi.demo.vn', 'Cần công nghệ sấy cà phê bằng bơm nhiệt',
   'Cần công nghệ sấy cà phê nhân bằng bơm nhiệt, 3 tấn/mẻ.', NULL,
   '4.1', ARRAY['cà phê', 'sấy', 'bơm nhiệt'], 6, NULL,
   ARRAY['turnkey'], NULL, 700000000, NULL, NULL, false, NULL, 230, 220),
  ('00000000-0000-4000-8000-0000000000ba', 'technology_offer', 'draft', '00000000-0000-4000-8000-0000000000a3',
   'hoa.le@cattrang.demo.vn', 'Vật liệu lọc nước từ cát trắng ven biển',
   'Vật liệu lọc nước sinh hoạt làm từ cát trắng Quảng Trị, giá thành thấp.', NULL,
   '2.5', ARRAY['cát trắng', 'lọc nước', 'vật liệu mới'], 4, 'patent_pending',
   ARRAY['joint_development'], NULL, NULL, NULL, NULL, false, NULL, 2, NULL),
  ('00000000-0000-4000-8000-0000000000bb', 'technology_offer', 'pending_review', '00000000-0000-4000-8000-0000000000a3',
   'hoa.le@cattrang.demo.vn', 'Gạch không nung từ cát trắng và tro bay',
   'Gạch không nung cường độ cao, tận dụng tro bay nhiệt điện và cát trắng tại chỗ.', NULL,
   '2.5', ARRAY['gạch không nung', 'cát trắng', 'tro bay'], 5, 'none',
   ARRAY['licensing', 'training'], 60000000, 90000000, NULL, NULL, false, NULL, 5, NULL)),
todo AS (
  SELECT d.*, listing_kind_code(d.kind) AS code,
         extract(year FROM (now() - make_interval(days => d.created_days_ago)) AT TIME ZONE 'Asia/Ho_Chi_Minh')::integer AS yr,
         row_number() OVER (PARTITION BY d.kind,
             extract(year FROM (now() - make_interval(days => d.created_days_ago)) AT TIME ZONE 'Asia/Ho_Chi_Minh')
             ORDER BY d.id) AS k
    FROM demo d WHERE NOT EXISTS (SELECT 1 FROM listings l WHERE l.id = d.id)),
need AS (SELECT code, yr, count(*)::integer AS n FROM todo GROUP BY code, yr),
reserved AS (
  INSERT INTO listing_ref_counters AS c (kind_code, year, last) SELECT code, yr, n FROM need
  ON CONFLICT (kind_code, year) DO UPDATE SET last = c.last + excluded.last
  RETURNING c.kind_code, c.year, c.last)
INSERT INTO listings (id, ref, kind, status, organization_id, created_by, title, summary, description, sector,
                      keywords, trl, ip_status, transfer_modes, price_min_vnd, price_max_vnd, province, expires_at,
                      equipment, confidential, anonymous, status_reason, published_at, listed_at, created_at,
                      updated_at, version)
SELECT t.id, format('QT-%s-%s-%s', t.code, t.yr, lpad((r.last - need.n + t.k)::text, greatest(6, length((r.last - need.n + t.k)::text)), '0')),
       t.kind, t.status, t.org, (SELECT u.id FROM users u WHERE u.email = t.author), t.title, t.summary, t.description,
       t.sector, t.keywords, t.trl, t.ip_status, t.transfer_modes, t.price_min_vnd, t.price_max_vnd, 'quang-tri',
       now() - make_interval(days => t.published_days_ago) + interval '180 days', t.equipment, t.confidential,
       t.anonymous, t.status_reason, now() - make_interval(days => t.published_days_ago),
       now() - make_interval(days => coalesce(t.published_days_ago, t.created_days_ago)),
       now() - make_interval(days => t.created_days_ago),
       CASE t.status WHEN 'published' THEN now() - make_interval(days => t.published_days_ago)
                     WHEN 'expired' THEN now() - make_interval(days => t.published_days_ago) + interval '180 days'
                     ELSE now() - make_interval(days => coalesce(t.published_days_ago, t.created_days_ago) / 2) END,
       CASE t.status WHEN 'draft' THEN 1 WHEN 'pending_review' THEN 2 WHEN 'published' THEN 3 WHEN 'rejected' THEN 3 ELSE 4 END
  FROM todo t JOIN need USING (code, yr) JOIN reserved r ON r.kind_code = t.code AND r.year = t.yr;
