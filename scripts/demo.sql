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
