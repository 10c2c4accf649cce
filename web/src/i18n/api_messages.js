// The API writes its field messages in English ("must be 3 to 200
// characters long"); a Vietnamese page shows them in Vietnamese.  Each rule
// is a pattern of a message the server sends (marketplace/http/validate.c,
// the handlers and the SQL functions of migrations/) and its translation;
// a message no rule knows is shown as sent.
const RULES = [
	[/^is required$/, 'là trường bắt buộc'],
	[/^is required for this action$/, 'là bắt buộc cho thao tác này'],
	[/^is required for technology offers$/, 'là bắt buộc với tin chào bán công nghệ'],
	[/^is required for equipment listings and not allowed for technology listings$/, 'là bắt buộc với tin thiết bị và không dùng cho tin công nghệ'],
	[/^is required: the contract's number$/, 'là bắt buộc: số hợp đồng'],
	[/^is required: the contract's value in VND$/, 'là bắt buộc: giá trị hợp đồng (đồng)'],
	[/^is required: say why \(reason or note\)$/, 'là bắt buộc: hãy nêu lý do (chọn lý do hoặc ghi chú)'],
	[/^is required: one of .*$/, 'là bắt buộc: hãy chọn một lý do trong danh sách'],
	[/^is required: the number of enterprises the year's share is counted over$/, 'là bắt buộc: số doanh nghiệp làm cơ sở tính tỷ lệ của năm'],
	[/^unknown field$/, 'không phải là trường được chấp nhận'],
	[/^not allowed$/, 'không được phép'],
	[/^cannot be removed$/, 'không thể xóa bỏ'],
	[/^cannot be changed; create a listing of the other kind$/, 'không thể thay đổi; hãy tạo một tin thuộc loại kia'],
	[/^is not a valid email address$/, 'không phải là địa chỉ email hợp lệ'],
	[/^is not a sector code.*$/, 'không phải là mã lĩnh vực hợp lệ'],
	[/^is not a filter of GET .*$/, 'không phải là bộ lọc tìm kiếm hợp lệ'],
	[/^(is not|must be) the id of a registered organisation$/, 'phải là một tổ chức đã đăng ký'],
	[/^must be (\d+) to (\d+) characters long$/, 'phải dài từ $1 đến $2 ký tự'],
	[/^must be an integer from (-?\d+) to (-?\d+)$/, 'phải là số nguyên từ $1 đến $2'],
	[/^must have at most (\d+) items$/, 'chỉ được có tối đa $1 mục'],
	[/^must be one of: ?(.*)$/, 'phải là một trong các giá trị: $1'],
	[/^must be a string$/, 'phải là chuỗi ký tự'],
	[/^must be an object$/, 'phải là một đối tượng'],
	[/^must be an array of strings$/, 'phải là danh sách chuỗi ký tự'],
	[/^must be true or false$/, 'phải là có hoặc không'],
	[/^must be a string or a whole number$/, 'phải là chuỗi ký tự hoặc số nguyên'],
	[/^must be a number or a text$/, 'phải là một số hoặc một đoạn văn bản'],
	[/^must be a text \(the assessment\)$/, 'phải là một đoạn văn bản (nội dung đánh giá)'],
	[/^must be a percentage from 0 to 100$/, 'phải là tỷ lệ phần trăm từ 0 đến 100'],
	[/^must be a whole number from 0 to (\d+)$/, 'phải là số nguyên từ 0 đến $1'],
	[/^must be a year of the indicator's period, (\d+) to (\d+)$/, 'phải là một năm trong kỳ của chỉ tiêu, từ $1 đến $2'],
	[/^must not be a year still to come$/, 'không được là năm chưa tới'],
	[/^must be an RFC 3339 time in the future, at most three years ahead$/, 'phải là một ngày trong tương lai, không quá ba năm tới'],
	[/^must be an http:\/\/ or https:\/\/ address$/, 'phải là địa chỉ bắt đầu bằng http:// hoặc https://'],
	[/^must be 10 digits, or 10 digits, '-' and 3 digits for a branch$/, 'phải gồm 10 chữ số, hoặc 10 chữ số, dấu "-" và 3 chữ số với chi nhánh'],
	[/^must be 1 to 64 letters, digits and \. \/ _ -$/, 'phải gồm 1 đến 64 chữ cái, chữ số và các ký tự . / _ -'],
	[/^must be letters, digits and \. \/ _ - only, e\.g\. (.*)$/, 'chỉ được gồm chữ cái, chữ số và các ký tự . / _ -, ví dụ $1'],
	[/^must not be more than price_max_vnd$/, 'không được lớn hơn giá tối đa'],
	[/^must not be after to$/, 'không được sau ngày kết thúc'],
	[/^must be at most 10 years after from$/, 'không được quá 10 năm sau ngày bắt đầu'],
	[/^must not begin or end with a space$/, 'không được bắt đầu hoặc kết thúc bằng dấu cách'],
	[/^must not repeat an item$/, 'không được lặp lại một mục'],
	[/^must not contain NUL characters$/, 'không được chứa ký tự NUL'],
	[/^only KH43-T3 takes an enterprise base$/, 'chỉ chỉ tiêu KH43-T3 có số doanh nghiệp cơ sở'],
];

export function vietnameseApiMessage(message) {
	if (typeof message !== 'string') return message;
	for (const [pattern, vi] of RULES) if (pattern.test(message)) return message.replace(pattern, vi);
	return message;
}
