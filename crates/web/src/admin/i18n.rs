//! Every string the admin UI shows, in Simplified Chinese and English. Templates
//! call `t.t("key")`; a test checks that every key they use is here.

use domain::{CouponKind, CouponStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// From a staff member's setting (`zh-CN` or `en`).
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// From `Accept-Language`: English when it comes before any Chinese, Chinese otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Zh;
        };
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::Zh;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Zh
    }
}

/// The translator handed to templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct T {
    pub lang: Lang,
}

const TEXTS: &[(&str, &str, &str)] = &[
    ("error.unavailable", "暂时无法保存", "Cannot save right now"),
    (
        "error.unavailable_text",
        "数据库暂时无法写入（磁盘已满、只读或连接中断），这次操作没有保存任何内容。请稍后重试。",
        "The database cannot take writes right now (a full disk, read-only, or out of reach); nothing was saved. Please try again shortly.",
    ),
    ("settings.notifications", "通知发送", "Notifications"),
    (
        "settings.channel_log",
        "写入日志（不外发）",
        "Write to the log (nothing sent)",
    ),
    (
        "settings.channel_webhook",
        "发送到 Webhook",
        "Send to a webhook",
    ),
    ("settings.webhook_url", "Webhook 地址", "Webhook URL"),
    (
        "settings.webhook_hint",
        "必须是 https:// 开头的公网地址；每条通知用签名密钥做 HMAC-SHA256 签名。",
        "Must be an https:// address on the public internet; every message is signed with HMAC-SHA256 using the signing secret.",
    ),
    ("settings.secret", "签名密钥", "Signing secret"),
    ("settings.secret_set", "已设置", "set"),
    (
        "settings.secret_none",
        "未设置（设置前 Webhook 无法发送）",
        "none yet (webhooks cannot be sent without one)",
    ),
    (
        "settings.create_secret",
        "生成签名密钥",
        "Create a signing secret",
    ),
    (
        "settings.rotate_secret",
        "更换签名密钥",
        "Rotate the signing secret",
    ),
    (
        "settings.rotate_hint",
        "更换后旧密钥立即失效，请同时更新接收方。",
        "The old secret stops working at once: update the receiver too.",
    ),
    (
        "settings.secret_once",
        "新的签名密钥只显示这一次，请立即复制保存：",
        "The new signing secret is shown only this once; copy it now:",
    ),
    ("nav.shop", "店铺", "Shop"),
    ("nav.switch", "切换", "Switch"),
    ("nav.coupons", "优惠券", "Coupons"),
    ("nav.products", "商品", "Products"),
    ("nav.settings", "店铺设置", "Settings"),
    ("nav.estimate", "投放估算", "Estimate"),
    ("estimate.title", "投放前估算", "Pre-launch estimate"),
    (
        "estimate.intro",
        "发券前算一算：成本、预计带来的成交额、投入产出比，以及扣除优惠后的毛利率。",
        "Before launching a coupon: its cost, the sales it may bring, its ROI and the margin left after the discount.",
    ),
    ("estimate.face_value", "面值", "Face value"),
    ("estimate.threshold", "门槛", "Threshold"),
    ("estimate.quantity", "发放数量", "Quantity"),
    ("estimate.use_rate", "预计使用率", "Expected use rate"),
    ("estimate.aov", "客单价", "Average order value"),
    ("estimate.margin", "毛利率", "Gross margin"),
    ("estimate.submit", "估算", "Estimate"),
    (
        "estimate.issuance_cost",
        "最大成本（面值 × 数量）",
        "Most it can cost (face × quantity)",
    ),
    ("estimate.expected_uses", "预计使用张数", "Expected uses"),
    ("estimate.expected_cost", "预计成本", "Expected cost"),
    ("estimate.expected_gmv", "预计成交额", "Expected sales"),
    (
        "estimate.roi",
        "投入产出比（成交额 / 成本）",
        "ROI (sales / cost)",
    ),
    (
        "estimate.margin_after",
        "扣除优惠后毛利率",
        "Margin after the coupon",
    ),
    ("estimate.none", "—", "—"),
    (
        "estimate.floor_warning",
        "扣除优惠后毛利率 {margin}% 低于店铺利润底线 {floor}%。",
        "The margin after the coupon, {margin}%, is below the shop's profit floor of {floor}%.",
    ),
    (
        "estimate.aov_warning",
        "客单价低于门槛，很多订单用不上这张券。",
        "The average order does not reach the threshold: many orders cannot use this coupon.",
    ),
    (
        "estimate.this_coupon",
        "估算这张券的效果",
        "Estimate this coupon",
    ),
    (
        "codes.writing",
        "（正在生成：{written} / {asked}，刷新查看进度）",
        "(being written: {written} of {asked}; reload to follow)",
    ),
    ("codes.title", "券码", "Codes"),
    (
        "codes.summary",
        "共 {all} 个券码，已使用 {used} 个。",
        "{all} codes, {used} used.",
    ),
    ("codes.shared", "共享口令：{code}", "Shared code: {code}"),
    ("codes.generate", "再生成", "Generate"),
    (
        "codes.generate_submit",
        "个一次性券码",
        "more one-time codes",
    ),
    (
        "codes.export",
        "导出全部券码 (CSV)",
        "Export all codes (CSV)",
    ),
    (
        "codes.bad_count",
        "请填写 1 到 100000 之间的整数",
        "must be a whole number from 1 to 100000",
    ),
    ("settings.title", "店铺设置", "Shop settings"),
    ("settings.saved", "已保存。", "Saved."),
    ("settings.time_zone", "时区", "Time zone"),
    (
        "settings.lead_hours",
        "过期提醒（到期前几小时，可填多个）",
        "Expiry reminders (hours before, several allowed)",
    ),
    ("settings.quiet_start", "免打扰开始", "Quiet from"),
    ("settings.quiet_end", "免打扰结束", "Quiet until"),
    (
        "settings.monthly_cap",
        "每人每月最多领取",
        "Claims per customer a month",
    ),
    (
        "settings.monthly_cap_hint",
        "建议不超过 5 张；留空表示不限。",
        "The handbook advises at most 5; empty for no cap.",
    ),
    (
        "settings.profit_floor",
        "利润底线（毛利率）",
        "Profit floor (margin)",
    ),
    ("products.title", "商品", "Products"),
    ("products.new", "新建商品", "New product"),
    ("products.edit", "修改商品", "Edit product"),
    (
        "products.none",
        "还没有商品。可以逐个新建，或在下方粘贴 CSV 导入。",
        "No products yet: add them one by one, or paste a CSV below.",
    ),
    ("products.name", "名称", "Name"),
    ("products.price", "价格", "Price"),
    ("products.import", "CSV 导入", "Import CSV"),
    (
        "products.import_hint",
        "每行：sku,name,price（第一行可为表头）。有任何一行出错则整批不导入，并列出出错的行；已有 SKU 会被更新。",
        "One product a line: sku,name,price (a header line is allowed). If any line is wrong nothing is imported and the wrong lines are listed; existing SKUs are updated.",
    ),
    (
        "products.import_refused",
        "没有导入任何商品，请修改以下各行后重试：",
        "Nothing was imported; fix these lines and try again:",
    ),
    ("products.import_submit", "导入", "Import"),
    ("products.upload", "选择 CSV 文件", "CSV file"),
    (
        "products.or_paste",
        "或者直接粘贴 CSV 内容：",
        "Or paste the CSV here:",
    ),
    (
        "products.not_utf8",
        "文件不是 UTF-8 编码的 CSV，请另存为 UTF-8 后再试。",
        "The file is not UTF-8 CSV; save it as UTF-8 and try again.",
    ),
    (
        "products.imported",
        "已导入 {} 个商品。",
        "{} products imported.",
    ),
    ("nav.sign_out", "退出登录", "Sign out"),
    ("nav.other_language", "English", "中文"),
    ("role.owner", "店主", "Owner"),
    ("role.operator", "运营", "Operator"),
    ("role.viewer", "只读", "Viewer"),
    (
        "login.title",
        "登录 merchant-ops",
        "Sign in to merchant-ops",
    ),
    ("login.email", "邮箱", "Email"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.join",
        "有邀请码？加入店铺 →",
        "Invited? Join a shop →",
    ),
    (
        "login.wrong",
        "邮箱或密码不正确。",
        "The email or the password is not right.",
    ),
    (
        "login.locked",
        "失败次数过多，请在 {} 后再试（每次失败后等待更久）。忘记密码请联系店主，或由管理员运行 merchant-ops staff password。",
        "Too many failed attempts: try again after {} (each failure waits longer). Forgot the password? Ask the shop's owner, or an operator can run merchant-ops staff password.",
    ),
    ("error.home", "返回首页", "Back to the start"),
    ("account.title", "我的账号", "My account"),
    ("account.password", "修改密码", "Change password"),
    ("account.current", "当前密码", "Current password"),
    ("account.new", "新密码", "New password"),
    ("account.repeat", "再输一次新密码", "New password again"),
    (
        "account.rule",
        "10 到 128 个字符，不能与当前密码相同。修改后，其他设备上的登录会退出。",
        "10 to 128 characters, not the current one. Other devices signed in are signed out.",
    ),
    ("account.save", "保存新密码", "Save the new password"),
    (
        "account.must_change",
        "这个账号的密码是系统生成的：请先设置你自己的密码，再继续使用。",
        "This account's password was generated: choose your own before going on.",
    ),
    (
        "account.changed",
        "密码已修改。",
        "The password is changed.",
    ),
    (
        "account.mismatch",
        "两次输入的新密码不一样。",
        "The two new passwords differ.",
    ),
    (
        "account.wrong_current",
        "当前密码不正确。",
        "The current password is not right.",
    ),
    (
        "join.title",
        "用邀请码加入店铺",
        "Join a shop with an invitation",
    ),
    (
        "join.hint",
        "填写被邀请的邮箱和店主给你的邀请码。已有账号：填你现在的密码；还没有账号：设置一个新密码（10 到 128 个字符）。",
        "Enter the invited email and the code the owner gave you. With an account: your password; without one yet: choose a password (10 to 128 characters).",
    ),
    ("join.code", "邀请码", "Invitation code"),
    ("join.name", "姓名（新账号）", "Name (new accounts)"),
    ("join.submit", "加入店铺", "Join the shop"),
    (
        "join.wrong",
        "邮箱、邀请码或密码不正确（邀请码 7 天内有效，只能用一次）。",
        "The email, the code or the password is not right (a code is valid 7 days, once).",
    ),
    ("join.have_session", "← 返回登录", "← Back to sign-in"),
    ("account.back", "返回店铺", "Back to the shop"),
    ("error.not_found", "页面不存在", "Page not found"),
    (
        "error.not_found_text",
        "没有这个页面，或你没有访问它的权限。",
        "There is no such page, or it is not yours to see.",
    ),
    ("error.forbidden", "请求被拒绝", "Request refused"),
    ("error.not_allowed", "没有权限", "Not yours to change"),
    (
        "error.not_allowed_text",
        "你在这家店的角色不能做这项操作（店铺设置、团队和 API 密钥只有店主能改）。需要时请联系店主。",
        "Your role in this shop does not allow this (settings, the team and API keys are for owners). Ask the shop's owner if it needs doing.",
    ),
    (
        "error.forbidden_text",
        "表单已过期或来源不明，请返回重新提交。",
        "The form expired or did not come from this site; go back and send it again.",
    ),
    ("error.internal", "出错了", "Something went wrong"),
    (
        "error.internal_text",
        "服务器出了点问题，已记录。请稍后重试。",
        "Something failed on our side and was logged. Please try again shortly.",
    ),
    ("coupons.title", "优惠券", "Coupons"),
    ("coupons.kind", "类型", "Kind"),
    ("coupons.status", "状态", "Status"),
    ("coupons.search", "搜索名称", "Search names"),
    (
        "coupons.none",
        "没有符合条件的优惠券。",
        "No coupons match.",
    ),
    ("coupons.name", "名称", "Name"),
    ("coupons.benefit", "优惠", "Benefit"),
    ("coupons.claimed", "已领 / 总量", "Claimed / total"),
    ("coupons.use_rate", "使用率", "Use rate"),
    ("coupons.claim_window", "领取时间", "Claim window"),
    ("coupons.unlimited", "不限", "unlimited"),
    ("coupons.new", "新建优惠券", "New coupon"),
    ("coupon.claimed", "已领取", "Claimed"),
    ("coupon.used", "已使用", "Used"),
    ("coupon.expired", "已过期", "Expired"),
    ("coupon.unused", "未使用", "Unused"),
    ("live.title", "直播实时看板", "Live drop console"),
    ("live.open", "打开实时看板", "Open the live console"),
    (
        "live.refreshing",
        "每 2 秒自动刷新",
        "Refreshes every 2 seconds",
    ),
    (
        "live.stopped",
        "优惠券不在领取中，本页不再自动刷新",
        "The coupon cannot be claimed now; this page no longer refreshes",
    ),
    ("live.as_of", "数据时间", "as of"),
    ("live.remaining", "剩余库存", "Left in stock"),
    ("live.stock", "总量", "Stock"),
    ("live.unlimited", "不限量", "Unlimited"),
    ("live.pace", "当前领取速度", "Current pace"),
    ("live.per_second", "张/秒", "claims per second"),
    ("live.pace_over", "按最近", "over the last"),
    ("live.seconds", "秒计算", "seconds"),
    ("live.sell_out", "预计领完", "Sells out in"),
    (
        "live.sell_out_note",
        "按当前速度估算",
        "at the current pace",
    ),
    ("live.sold_out", "已领完", "Sold out"),
    ("live.no_pace", "暂无人领取", "Nobody is claiming"),
    (
        "live.last_minute",
        "近 1 分钟领取",
        "Claimed in the last minute",
    ),
    ("live.peak", "每秒峰值", "busiest second"),
    ("live.last_hour", "近 1 小时", "last hour"),
    (
        "live.chart",
        "近 60 秒每秒领取",
        "Claims per second, last 60 seconds",
    ),
    ("live.refusals", "领取失败原因", "Refusals by reason"),
    (
        "live.no_refusals",
        "近 1 小时没有失败的领取",
        "No refusals in the last hour",
    ),
    ("live.reason", "原因", "Reason"),
    ("live.minute", "近 1 分钟", "Last minute"),
    ("live.hour", "近 1 小时", "Last hour"),
    ("coupon.kind", "类型", "Kind"),
    ("coupon.benefit", "优惠", "Benefit"),
    ("coupon.scope", "适用范围", "Applies to"),
    ("coupon.scope_shop", "全店商品", "Every product"),
    ("coupon.validity", "使用有效期", "Valid"),
    ("coupon.claim_window", "领取时间", "Claim window"),
    ("coupon.audience", "可领人群", "Who may claim"),
    ("coupon.channels", "领取渠道", "Channels"),
    ("coupon.regions", "地区", "Regions"),
    ("coupon.everywhere", "不限", "Any"),
    ("action.activate", "生效", "Activate"),
    ("action.pause", "暂停", "Pause"),
    ("action.resume", "恢复", "Resume"),
    ("action.end", "结束", "End"),
    (
        "confirm.end",
        "结束后无法恢复：顾客不能再领取；已领的券在有效期内仍可使用，除非在下面勾选作废。",
        "This cannot be undone: nobody can claim it any more; claims already held stay usable until they expire, unless you revoke them below.",
    ),
    ("confirm.end_button", "确认结束", "End it"),
    (
        "confirm.end_revoke",
        "同时作废 {n} 张未使用的券（顾客会收到通知，作废后不能再用于下单）",
        "Also revoke the {n} unused claims (their holders are notified; no order can use them any more)",
    ),
    ("action.revoke", "作废未使用的券", "Revoke unused claims"),
    (
        "confirm.revoke_claims",
        "作废后无法恢复：{n} 张未使用的券将不能再用于下单，持有的顾客会收到通知。",
        "This cannot be undone: the {n} unused claims can no longer be used on an order, and their holders are notified.",
    ),
    ("confirm.revoke_claims_button", "确认作废", "Revoke them"),
    ("coupon.revoked", "已作废", "Revoked"),
    (
        "confirm.remove",
        "移出后此人立即失去本店的访问权限。",
        "They lose access to this shop at once.",
    ),
    ("confirm.remove_button", "确认移出", "Remove them"),
    (
        "confirm.revoke",
        "吊销后使用此密钥的店铺系统会立即无法调用接口，无法恢复。",
        "Every system using this key stops working at once; this cannot be undone.",
    ),
    ("confirm.revoke_button", "确认吊销", "Revoke it"),
    ("action.clone", "复制", "Clone"),
    ("audience.all", "所有人", "Everyone"),
    (
        "audience.new_customers",
        "新客（无付款订单）",
        "New customers (no paid order)",
    ),
    (
        "audience.returning_customers",
        "老客（有付款订单）",
        "Returning customers",
    ),
    ("audience.followers", "粉丝", "Followers"),
    ("audience.members", "会员", "Members"),
    ("audience.tag", "标签", "Tag"),
    ("channel.live_room", "直播间", "Live room"),
    ("channel.short_video", "短视频", "Short video"),
    ("channel.shop_page", "店铺页", "Shop page"),
    ("channel.fan_group", "粉丝群", "Fan group"),
    ("channel.sms", "短信", "SMS"),
    ("channel.customer_service", "客服", "Customer service"),
    ("channel.private_message", "私信", "Private message"),
    ("channel.coupon_center", "领券中心", "Coupon center"),
    ("clone.suffix", "（副本）", " (copy)"),
    ("form.title", "新建优惠券", "New coupon"),
    (
        "form.has_errors",
        "有几处需要修改，见下方标红的说明。",
        "Some fields need a change: see the notes in red below.",
    ),
    ("form.basics", "基本信息", "Basics"),
    ("form.amount_off", "满减 / 立减", "Amount off"),
    ("form.percent_off", "折扣", "Percent off"),
    ("form.tiered", "多件多折", "Tiered"),
    (
        "form.threshold",
        "满（门槛，0 为无门槛）",
        "Minimum (0 = none)",
    ),
    ("form.amount", "减", "Amount off"),
    ("form.percent", "折扣", "Discount"),
    ("form.zhe", "折（1.0–9.9）", "折 (1.0–9.9; 8.5折 = 15% off)"),
    ("form.min_quantity", "最少件数", "Minimum units"),
    ("form.max_discount", "最多减", "Discount cap"),
    (
        "form.tiers",
        "阶梯（件数:折，如 2:9, 3:8）",
        "Tiers (units:折, e.g. 2:9, 3:8)",
    ),
    ("form.time", "时间", "Time"),
    ("form.claim_from", "开始领取", "Claimable from"),
    ("form.claim_until", "结束领取", "Claimable until"),
    ("form.relative", "领取后", "Valid for"),
    ("form.days", "天内有效", "days after claiming"),
    ("form.fixed", "固定时间可用", "Valid between"),
    ("form.limits", "数量与限领", "Quantity and limits"),
    ("form.quantity", "发放总量", "Total quantity"),
    ("form.per_customer", "每人限领", "Per customer"),
    ("form.per_day", "每人每日限领", "Per customer a day"),
    (
        "form.empty_unlimited",
        "留空表示不限。",
        "Leave empty for no limit.",
    ),
    (
        "form.audience_fixed",
        "新人券只发给新客、粉丝券只发给粉丝、会员券只发给会员：这几种券的人群由类型决定。",
        "A new-customer coupon is for new customers, a follower coupon for followers and a member coupon for members: their kind decides who.",
    ),
    (
        "form.frozen_notice",
        "已有 {n} 张券在顾客手里：类型、优惠、适用范围、人群、口令和开始领取时间已锁定，不能再改；数量只能增加，领取和使用的结束时间只能延后。",
        "Customers hold {n} of these: the kind, benefit, products, audience, code and claim start are locked; the quantity can only rise and the end times only move later.",
    ),
    ("form.frozen_tag", "已锁定", "Locked"),
    (
        "form.regions_all",
        "全国（不勾选即不限；点开按省份选择）",
        "everywhere (tick provinces to limit it)",
    ),
    (
        "form.product_search",
        "搜索商品名称或 SKU",
        "Search products by name or SKU",
    ),
    (
        "form.product_skus",
        "商品 SKU（用逗号分隔）",
        "Product SKUs (comma-separated)",
    ),
    ("form.who", "人群、渠道与地区", "Who, where"),
    (
        "form.join_gift",
        "入会有礼：顾客首次加入会员时自动发放（每人仅一次）",
        "Join gift: granted when a customer first joins (once per customer)",
    ),
    (
        "form.auto_grant",
        "关注店铺时自动发放（每人仅一次）",
        "Grant on follow (once per customer)",
    ),
    ("form.trigger", "发放时机", "Start the clock at"),
    ("form.delivered", "确认收货", "Delivery"),
    ("form.shipped", "发货", "Shipping"),
    ("form.days_after", "之后天数", "Days after"),
    (
        "form.only_purchased",
        "只发给买过适用商品的订单",
        "Only to orders that bought the selected products",
    ),
    ("form.shared_code", "共享口令", "One shared code"),
    ("form.unique_codes", "一次性券码数量", "One-time codes"),
    ("form.save_active", "保存并生效", "Save and activate"),
    ("form.save_draft", "存为草稿", "Save as draft"),
    ("form.edit_title", "修改优惠券", "Edit coupon"),
    ("form.save_changes", "保存修改", "Save changes"),
    ("action.edit", "修改", "Edit"),
    ("filter.all", "全部", "All"),
    ("filter.apply", "筛选", "Filter"),
    ("pager.next", "下一页", "Next page"),
    ("kind.shop", "店铺券", "Shop coupon"),
    ("kind.new_customer", "新人券", "New-customer coupon"),
    ("kind.follower", "粉丝券", "Follower coupon"),
    ("kind.member", "会员券", "Member coupon"),
    ("kind.reward", "满返券", "Spend-and-return coupon"),
    ("kind.share", "分享券", "Share-to-unlock coupon"),
    ("metrics.units_per_order", "件/单", "Units / order"),
    ("metrics.cost_per_claimer", "领取成本", "Cost / claimer"),
    ("metrics.next_day", "次日核销率", "Used next day"),
    (
        "metrics.median_wait",
        "核销等待（中位数）",
        "Median wait to use",
    ),
    ("metrics.hours", "小时", "h"),
    (
        "metrics.csv",
        "按日按渠道下载 CSV",
        "Download by day and channel (CSV)",
    ),
    ("coupon.how_granted", "发放方式", "How it is granted"),
    ("growth.shares_started", "发起分享", "Shares started"),
    ("growth.shares_completed", "分享成功", "Shares completed"),
    ("growth.friends_joined", "好友助力", "Friends joined"),
    ("growth.new_customers", "带来新客", "New customers brought"),
    ("growth.members", "店铺会员", "Shop members"),
    ("growth.join_gifts", "已发入会礼", "Join gifts granted"),
    ("kind.repurchase", "复购券", "Repurchase coupon"),
    ("kind.private", "私密券", "Private coupon"),
    ("kind.item", "商品券", "Item coupon"),
    ("scope.items", "指定商品", "selected products"),
    ("nav.dashboard", "概览", "Dashboard"),
    ("dashboard.title", "数据概览", "Dashboard"),
    ("dashboard.today_is", "店铺日期", "Shop date"),
    (
        "dashboard.active_coupons",
        "进行中的优惠券",
        "Active coupons",
    ),
    ("dashboard.members", "会员", "Members"),
    (
        "dashboard.csv",
        "下载近 30 天 CSV",
        "Download 30 days (CSV)",
    ),
    (
        "dashboard.members_gmv",
        "近 30 天用券 GMV 中会员占比",
        "Members' share of coupon GMV, 30 days",
    ),
    ("dashboard.today", "今日", "Today"),
    ("dashboard.last_7", "近 7 天", "Last 7 days"),
    ("dashboard.last_30", "近 30 天", "Last 30 days"),
    ("dashboard.claims", "领取", "Claims"),
    ("dashboard.redemptions", "核销", "Redemptions"),
    ("dashboard.cost", "优惠成本", "Discount cost"),
    ("dashboard.coupon_gmv", "用券成交额", "Coupon GMV"),
    ("dashboard.coupon_orders", "用券订单", "Coupon orders"),
    (
        "dashboard.chart_claims",
        "近 30 天每日领取",
        "Claims per day, last 30 days",
    ),
    (
        "dashboard.chart_redemptions",
        "近 30 天每日核销",
        "Redemptions per day, last 30 days",
    ),
    (
        "dashboard.chart_cost",
        "近 30 天每日优惠成本",
        "Discount cost per day, last 30 days",
    ),
    (
        "dashboard.use_by_channel",
        "各渠道使用率",
        "Use rate by channel",
    ),
    (
        "dashboard.use_by_channel_hint",
        "近 30 天领取的券中已使用的比例；虚线为 65% 目标。",
        "Share of the last 30 days' claims used so far; the dashed line is the 65% target.",
    ),
    (
        "dashboard.no_claims",
        "近 30 天还没有领取。",
        "No claims in the last 30 days.",
    ),
    ("dashboard.health", "健康度检查", "Health checks"),
    ("dashboard.alerts", "预警", "Alerts"),
    ("coupon.budget", "预算", "Budget"),
    ("coupon.no_budget", "未设置", "None set"),
    ("coupon.budget_used", "已用 {p}%", "{p}% used"),
    ("coupon.set_budget", "保存预算", "Save budget"),
    (
        "coupon.budget_hint",
        "实际成本达到预算时预警并通知员工；留空则不设预算。",
        "When the actual cost reaches it, an alert is raised and staff are told; empty for none.",
    ),
    (
        "coupon.budget_error",
        "请输入金额，如 500 或 500.00（最多两位小数）。",
        "Type an amount such as 500 or 500.00 (at most two decimals).",
    ),
    ("audit.action.budget", "修改预算", "Budget set"),
    (
        "dashboard.alerts_hint",
        "每分钟检查一次；每条预警出现时通过店铺通知渠道告知员工一次。",
        "Checked every minute; staff are told once through the shop's notification channel when an alert is raised.",
    ),
    (
        "dashboard.no_alerts",
        "目前没有预警。",
        "No alerts right now.",
    ),
    (
        "dashboard.monitoring",
        "核销监控（近 30 天）",
        "Use monitoring (last 30 days)",
    ),
    ("dashboard.claimers", "位领取人", "claimers"),
    ("alert.since", "起于", "since"),
    ("alert.over_budget", "超出预算", "Over budget"),
    ("alert.stock_out", "即将领完", "Running out"),
    ("alert.unpaid_orders", "异常订单", "Unpaid orders"),
    ("alert.shared_phone", "同一手机号", "Shared phone"),
    ("alert.shared_device", "同一设备", "Shared device"),
    (
        "alert.over_budget_text",
        "{coupon}：实际成本 {cost}，已达预算 {budget}",
        "{coupon}: actual cost {cost} has reached its budget of {budget}",
    ),
    (
        "alert.stock_out_text",
        "{coupon}：剩余 {left} 张，按近 10 分钟速度约 {minutes} 分钟后领完",
        "{coupon}: {left} left, gone in about {minutes} min at the last 10 minutes' pace",
    ),
    (
        "alert.unpaid_orders_text",
        "{n} 笔订单下单超过 2 小时仍未付款",
        "{n} orders placed more than 2 hours ago are still unpaid",
    ),
    (
        "alert.shared_phone_text",
        "手机号 {phone} 对应 {n} 个在 24 小时内领券的客户 ID，可能是刷券",
        "Phone {phone} belongs to {n} customer ids that claimed within 24 h: possible abuse",
    ),
    (
        "alert.shared_device_text",
        "设备 {device} 在 24 小时内为 {n} 个客户 ID 领券，可能是刷券",
        "Device {device} claimed for {n} customer ids within 24 h: possible abuse",
    ),
    ("dashboard.target", "目标", "Target"),
    (
        "dashboard.conversion",
        "领取→使用转化率",
        "Claim-to-use conversion",
    ),
    (
        "dashboard.aov_ratio",
        "用券客单价 ÷ 未用券客单价",
        "Coupon AOV ÷ non-coupon AOV",
    ),
    ("dashboard.ok", "达标", "On target"),
    ("dashboard.low", "未达标", "Below target"),
    ("dashboard.no_data", "暂无数据", "No data yet"),
    ("metrics.title", "效果数据", "Performance"),
    ("metrics.issued", "发放总量", "Issued"),
    ("metrics.claim_rate", "领取率", "Claim rate"),
    ("metrics.channel", "渠道", "Channel"),
    ("metrics.use_rate", "使用率", "Use rate"),
    ("metrics.cost", "实际成本", "Actual cost"),
    ("metrics.gmv", "用券成交额", "Coupon GMV"),
    ("metrics.total", "合计", "Total"),
    (
        "metrics.daily",
        "近 30 天每日领取",
        "Claims per day, last 30 days",
    ),
    (
        "refusal.not_started",
        "还没到领取时间",
        "The coupon cannot be claimed yet",
    ),
    (
        "refusal.ended",
        "领取已结束",
        "The coupon can no longer be claimed",
    ),
    ("refusal.paused", "优惠券已暂停", "The coupon is paused"),
    ("refusal.sold_out", "券已领完", "No coupons are left"),
    (
        "refusal.customer_limit",
        "已达每人限领张数",
        "The customer has claimed this coupon as often as allowed",
    ),
    (
        "refusal.daily_limit",
        "已达每人每日限领张数",
        "The customer has claimed this coupon as often as allowed today",
    ),
    (
        "refusal.monthly_cap",
        "已达店铺每月领券上限",
        "The customer has reached the shop's monthly limit of claims",
    ),
    (
        "refusal.not_new_customer",
        "仅限新客领取",
        "The coupon is for new customers only",
    ),
    (
        "refusal.not_returning_customer",
        "仅限老客领取",
        "The coupon is for returning customers only",
    ),
    (
        "refusal.not_follower",
        "仅限粉丝领取",
        "The coupon is for followers of the shop only",
    ),
    (
        "refusal.not_member",
        "仅限会员领取",
        "The coupon is for members of the shop only",
    ),
    (
        "refusal.not_in_audience",
        "该顾客不在券的适用人群内",
        "The coupon is not for this customer",
    ),
    (
        "refusal.channel_not_allowed",
        "该券不能在此渠道领取",
        "The coupon cannot be claimed in this channel",
    ),
    (
        "refusal.region_not_allowed",
        "该券不在顾客所在地区发放",
        "The coupon is not available in the customer's region",
    ),
    ("refusal.invalid_code", "券码无效", "The code is not valid"),
    (
        "refusal.code_used",
        "券码已被使用",
        "The code has already been used",
    ),
    (
        "refusal.grant_only",
        "该券只能由系统发放，顾客不能自行领取",
        "The coupon is only ever granted, never claimed",
    ),
    ("nav.customers", "顾客", "Customers"),
    ("nav.orders", "订单", "Orders"),
    ("nav.notifications", "消息", "Notifications"),
    ("customers.title", "顾客", "Customers"),
    (
        "customers.search",
        "姓名、手机号或顾客 ID",
        "Name, phone or customer id",
    ),
    ("customers.none", "没有找到顾客。", "No customers found."),
    ("customers.external_id", "顾客 ID", "Customer id"),
    ("customers.phone", "手机号", "Phone"),
    ("customers.phone_tail", "尾号 {tail}", "phone …{tail}"),
    ("customers.member", "会员", "Member"),
    ("customers.member_since", "入会于", "since"),
    ("customers.not_member", "不是会员", "Not a member"),
    ("customers.name", "顾客", "Customer"),
    ("customers.region", "地区", "Region"),
    ("customers.tags", "标签", "Tags"),
    ("customers.follower", "关注店铺", "Follows the shop"),
    ("customers.followed_since", "关注于", "Following since"),
    ("customers.not_following", "未关注", "Not following"),
    ("customers.since", "首次出现", "First seen"),
    ("customers.claims", "持有的券", "Claims"),
    ("customers.no_claims", "还没有领过券。", "No claims yet."),
    ("customers.orders", "订单", "Orders"),
    ("customers.no_orders", "还没有订单。", "No orders yet."),
    (
        "customers.grant",
        "手动发券（客服券）",
        "Grant a coupon (customer service)",
    ),
    (
        "customers.grant_hint",
        "与顾客自己领取规则相同（限领、人群、地区等），渠道记为“客服”。",
        "Under the same rules as a claim (limits, audience, region); the channel is recorded as customer service.",
    ),
    ("customers.grant_coupon", "优惠券", "Coupon"),
    ("customers.grant_submit", "发放", "Grant"),
    ("customers.granted", "已发放。", "Granted."),
    ("customers.refused", "未能发放：", "Not granted: "),
    (
        "customers.no_active",
        "没有进行中的优惠券可发。",
        "No active coupon to grant.",
    ),
    ("claims.coupon", "优惠券", "Coupon"),
    ("claims.channel", "渠道", "Channel"),
    ("claims.source", "来源", "Source"),
    ("claims.state", "状态", "State"),
    ("claims.valid", "有效期", "Valid"),
    ("claims.claimed_at", "领取时间", "Claimed"),
    ("source.claim", "顾客领取", "Claimed"),
    ("source.follow", "关注赠送", "Follow gift"),
    ("source.join_gift", "入会礼", "Join gift"),
    ("source.reward", "满返", "Spend and return"),
    ("source.share", "分享解锁", "Share unlocked"),
    ("source.share_friend", "好友助力礼", "Friend's gift"),
    ("form.share_friends", "需要好友人数", "Friends needed"),
    (
        "form.share_new_only",
        "只算新客（无付款订单）",
        "Only new customers count (no paid order)",
    ),
    ("form.share_friend_coupon", "好友获得", "Each friend gets"),
    ("form.share_no_friend_coupon", "不送券", "Nothing"),
    (
        "form.share_hint",
        "顾客分享给好友，达到人数后自动获得本券（每次分享只发一次）；每位好友对本券只算一次，分享者本人和同一手机号不计。",
        "A customer shares with friends and is granted this coupon once enough join (once per share); each friend counts once per coupon, never the sharer or their phone number.",
    ),
    ("form.reward_min_paid", "订单实付满", "Order pays at least"),
    ("form.reward_paid", "付款后", "Payment"),
    ("form.reward_trigger", "发放时机", "Granted on"),
    ("form.reward_members_only", "仅限会员", "Members only"),
    (
        "form.reward_hint",
        "订单实付达到门槛后自动发放（每单每券一次）；订单取消或退款时收回未使用的券。",
        "Granted when an order pays at least this much (once per order); taken back, if unused, when the order is cancelled or refunded.",
    ),
    ("source.repurchase", "复购赠送", "Repurchase gift"),
    ("source.manual", "客服发放", "Customer service"),
    ("state.unused", "未使用", "Unused"),
    ("state.used", "已使用", "Used"),
    ("state.expired", "已过期", "Expired"),
    ("order_status.created", "待付款", "Awaiting payment"),
    ("order_status.paid", "已付款", "Paid"),
    ("order_status.shipped", "已发货", "Shipped"),
    ("order_status.delivered", "已收货", "Delivered"),
    ("order_status.cancelled", "已取消", "Cancelled"),
    ("order_status.refunded", "已退款", "Refunded"),
    ("orders.title", "订单", "Orders"),
    ("orders.external_id", "订单号", "Order"),
    ("orders.customer", "顾客", "Customer"),
    ("orders.status", "状态", "Status"),
    ("orders.discount", "店铺优惠", "Shop discount"),
    ("orders.payable", "实付", "Paid amount"),
    ("orders.created", "下单时间", "Placed"),
    ("orders.none", "没有找到订单。", "No orders found."),
    ("orders.search", "订单号", "Order id"),
    ("orders.lines", "商品明细", "Lines"),
    ("orders.product", "商品", "Product"),
    ("orders.sku", "SKU", "SKU"),
    ("orders.unit_price", "单价", "Unit price"),
    ("orders.activity_price", "活动价", "Activity price"),
    ("orders.quantity", "数量", "Qty"),
    ("orders.amount", "金额", "Amount"),
    ("orders.line_discount", "优惠", "Discount"),
    ("orders.coupon", "使用的券", "Coupon"),
    ("orders.split", "优惠分摊", "Discount split"),
    ("orders.no_coupon", "未用券", "No coupon"),
    ("orders.subtotal", "商品合计", "Subtotal"),
    ("orders.platform_discount", "平台优惠", "Platform discount"),
    ("orders.events", "订单事件", "Events"),
    ("orders.event", "事件", "Event"),
    ("orders.occurred", "发生时间", "Occurred"),
    ("orders.recorded", "记录时间", "Recorded"),
    ("orders.no_events", "还没有事件。", "No events yet."),
    ("orders.claim", "券 #", "Claim #"),
    ("notifications.title", "消息发送", "Notifications"),
    ("notifications.status", "状态", "Status"),
    ("notifications.none", "没有消息。", "No notifications."),
    ("notifications.created", "创建时间", "Created"),
    ("notifications.kind", "类型", "Kind"),
    ("notifications.to_staff", "员工", "Staff"),
    ("notifications.attempts", "尝试次数", "Attempts"),
    ("notifications.last_error", "最近错误", "Last error"),
    ("notifications.retry", "重新发送", "Retry"),
    ("notifications.next", "下次发送", "Next try"),
    (
        "notification.expiry_reminder",
        "过期提醒",
        "Expiry reminder",
    ),
    (
        "notification.claim_revoked",
        "券已作废通知",
        "Claim revoked",
    ),
    ("notification.alert", "员工预警", "Staff alert"),
    ("notification_status.queued", "待发送", "Queued"),
    ("notification_status.sending", "发送中", "Sending"),
    ("notification_status.sent", "已发送", "Sent"),
    ("notification_status.failed", "发送失败", "Failed"),
    ("notification_status.dropped", "已放弃", "Dropped"),
    ("nav.team", "员工与密钥", "Staff & keys"),
    ("nav.audit", "操作日志", "Audit log"),
    ("team.title", "员工与 API 密钥", "Staff and API keys"),
    ("team.staff", "员工", "Staff"),
    ("team.name", "姓名", "Name"),
    ("team.email", "邮箱", "Email"),
    ("team.role", "角色", "Role"),
    ("team.you", "你", "you"),
    ("team.change_role", "修改角色", "Change role"),
    ("team.remove", "移出店铺", "Remove"),
    ("team.add", "添加员工", "Add a staff member"),
    (
        "team.add_hint",
        "填写对方的邮箱和角色，会得到一个一次性邀请码（7 天内有效）：对方用它在 /join 加入本店。",
        "Enter their email and role to get a one-time invitation code (valid 7 days): they use it at /join to join this shop.",
    ),
    ("team.add_submit", "邀请", "Invite"),
    ("team.keys", "API 密钥", "API keys"),
    (
        "team.keys_hint",
        "店铺前台调用 JSON API 时使用；密钥只在创建时显示一次。",
        "For the storefront calling the JSON API; a key is shown once, when it is created.",
    ),
    ("team.no_keys", "还没有 API 密钥。", "No API keys yet."),
    ("team.key", "密钥", "Key"),
    ("team.label", "用途", "Label"),
    (
        "team.label_example",
        "例如：小程序商城",
        "e.g. mini-program store",
    ),
    ("team.created", "创建时间", "Created"),
    ("team.last_used", "最近使用", "Last used"),
    ("team.revoked", "已吊销", "Revoked"),
    ("team.revoke", "吊销", "Revoke"),
    ("team.create_key", "创建密钥", "Create key"),
    (
        "team.invitation_once",
        "已邀请 {email}。把下面的邀请码交给对方（只显示这一次，{until} 前有效）：对方打开本站的 /join，填写邮箱和邀请码即可加入——已有账号的填自己的密码，新朋友设置一个密码。",
        "{email} is invited. Hand them this code (shown once, valid until {until}): they open /join on this site and enter their email and the code — with their password if they have an account, or a new one.",
    ),
    (
        "team.invited_title",
        "未使用的邀请",
        "Invitations not used yet",
    ),
    ("team.invited_at", "有效至", "Valid until"),
    (
        "team.key_once",
        "新的 API 密钥只显示这一次，请立即保存：",
        "The new API key is shown only this once; store it now:",
    ),
    ("team.saved", "已保存。", "Saved."),
    (
        "team.last_owner",
        "店铺至少要保留一位店主。",
        "A shop needs at least one owner.",
    ),
    (
        "team.already_member",
        "此人已在本店。",
        "That person already works in this shop.",
    ),
    ("audit.title", "操作日志", "Audit log"),
    ("audit.entity", "对象", "What"),
    ("audit.who", "操作人", "Who"),
    ("audit.when", "时间", "When"),
    ("audit.what", "操作", "Action"),
    (
        "audit.changes",
        "变更（之前 → 之后）",
        "Changes (before → after)",
    ),
    ("audit.none", "还没有操作记录。", "Nothing changed yet."),
    ("audit.no_fields", "无字段变化", "No field changed"),
    ("benefit_type.amount_off", "满减 / 立减", "Amount off"),
    ("benefit_type.percent_off", "折扣", "Percent off"),
    ("benefit_type.tiered_percent", "多件多折", "Tiered"),
    ("scope_type.shop", "全店商品", "Every product"),
    ("scope_type.items", "指定商品", "Selected products"),
    (
        "validity_type.relative",
        "领取后若干天",
        "Days after claiming",
    ),
    ("validity_type.fixed", "固定时间", "Fixed dates"),
    ("audit.action.create", "创建", "Created"),
    ("audit.action.update", "修改", "Edited"),
    ("audit.action.activate", "启用", "Activated"),
    ("audit.action.pause", "暂停", "Paused"),
    ("audit.action.resume", "恢复", "Resumed"),
    ("audit.action.end", "结束", "Ended"),
    ("audit.action.clone", "复制", "Cloned"),
    ("audit.action.generate", "生成券码", "Generated codes"),
    ("audit.action.import", "导入", "Imported"),
    ("audit.action.grant", "手动发券", "Granted"),
    ("audit.action.retry", "重新发送", "Retried"),
    ("audit.action.add", "添加", "Added"),
    ("audit.action.change_role", "修改角色", "Changed role"),
    ("audit.action.remove", "移出", "Removed"),
    ("audit.action.revoke", "吊销 / 作废", "Revoked"),
    ("audit.action.invite", "邀请", "Invited"),
    ("audit.entity.invitation", "邀请", "Invitation"),
    ("field.revoked_claims", "作废的券", "Claims revoked"),
    ("audit.entity.coupon", "优惠券", "Coupon"),
    ("audit.entity.code_batch", "券码批次", "Code batch"),
    ("audit.entity.product", "商品", "Product"),
    ("audit.entity.shop", "店铺设置", "Shop settings"),
    ("audit.entity.claim", "领券记录", "Claim"),
    ("audit.entity.notification", "消息", "Notification"),
    ("audit.entity.membership", "员工", "Staff member"),
    ("audit.entity.api_key", "API 密钥", "API key"),
    ("notifications.about", "优惠券", "Coupon"),
    ("notify_channel.webhook", "Webhook 推送", "Webhook"),
    ("notify_channel.log", "仅记录日志", "Log only"),
    ("field.name", "名称", "Name"),
    ("field.status", "状态", "Status"),
    ("field.quantity", "发放总量", "Quantity"),
    ("field.claim_from", "开始领取", "Claim from"),
    ("field.claim_until", "结束领取", "Claim until"),
    ("field.per_customer_limit", "每人限领", "Per-customer limit"),
    (
        "field.per_customer_daily_limit",
        "每人每日限领",
        "Daily limit",
    ),
    ("field.monthly_cap", "月领上限", "Monthly cap"),
    ("field.profit_floor_bp", "利润底线", "Profit floor"),
    (
        "field.reminder_lead_hours",
        "提前提醒（小时）",
        "Reminder lead hours",
    ),
    ("field.quiet_start_minute", "免打扰开始", "Quiet from"),
    ("field.quiet_end_minute", "免打扰结束", "Quiet until"),
    ("field.time_zone", "时区", "Time zone"),
    ("field.role", "角色", "Role"),
    ("field.revoked_at", "吊销时间", "Revoked at"),
    ("field.attempts", "尝试次数", "Attempts"),
    ("field.next_attempt_at", "下次发送", "Next try"),
    ("field.last_error", "最近错误", "Last error"),
    ("field.price_fen", "价格", "Price"),
    ("field.amount_fen", "面值", "Amount"),
    ("field.threshold_fen", "门槛", "Threshold"),
    ("field.label", "用途", "Label"),
    ("field.channel", "渠道", "Channel"),
    ("field.state", "状态", "State"),
    ("field.valid_until", "有效期至", "Valid until"),
    ("field.count", "数量", "Count"),
    ("field.skus", "SKU", "SKUs"),
    ("field.size", "张数", "Codes"),
    ("field.created_at", "创建时间", "Created"),
    ("field.prefix", "密钥前缀", "Key prefix"),
    ("field.secret_hash", "密钥", "Secret"),
    ("field.email", "邮箱", "Email"),
    ("field.last_used_at", "最近使用", "Last used"),
    ("field.sent_at", "发送时间", "Sent at"),
    ("field.claimed_at", "领取时间", "Claimed at"),
    ("field.valid_from", "生效时间", "Valid from"),
    ("field.customer_id", "顾客", "Customer"),
    ("field.coupon_id", "优惠券", "Coupon"),
    ("field.source", "来源", "Source"),
    ("field.kind", "类型", "Kind"),
    ("field.sku", "SKU", "SKU"),
    ("status.draft", "草稿", "Draft"),
    ("status.active", "进行中", "Active"),
    ("status.paused", "已暂停", "Paused"),
    ("status.ended", "已结束", "Ended"),
];

impl T {
    pub fn new(lang: Lang) -> T {
        T { lang }
    }

    /// The text for `key`; the key itself if it is missing (and a test fails).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }

    pub fn lang_tag(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other_locale(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh-CN",
        }
    }

    pub fn kind(&self, kind: CouponKind) -> &'static str {
        self.known(&format!("kind.{}", kind.as_str()))
    }

    /// How merchants name a coupon: a public coupon on selected products is a
    /// 商品券; other kinds say when they are limited to selected products.
    pub fn kind_and_scope(&self, kind: CouponKind, item_scope: bool) -> String {
        match (kind, item_scope) {
            (CouponKind::Shop, true) => self.known("kind.item").to_owned(),
            (kind, true) => format!("{} · {}", self.kind(kind), self.known("scope.items")),
            (kind, false) => self.kind(kind).to_owned(),
        }
    }

    pub fn status(&self, status: CouponStatus) -> &'static str {
        self.known(&format!("status.{}", status.as_str()))
    }

    /// The text for `key`, if the table has it.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        TEXTS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, zh, en)| if self.lang == Lang::Zh { *zh } else { *en })
    }

    fn known(&self, key: &str) -> &'static str {
        self.lookup(key).unwrap_or("?")
    }

    /// A benefit as staff say it in this language: 满99减10 / ¥10.00 off orders of ¥99.00.
    pub fn benefit(&self, benefit: &domain::Benefit) -> String {
        match self.lang {
            Lang::Zh => benefit.describe_zh(),
            Lang::En => benefit.describe_en(),
        }
    }

    /// Money as shops show it: ¥99.00.
    pub fn channel(&self, channel: domain::Channel) -> &'static str {
        self.known(&format!("channel.{}", channel.as_str()))
    }

    pub fn audience(&self, audience: &domain::Audience) -> String {
        match audience {
            domain::Audience::Tag(tag) => format!("{}: {tag}", self.known("audience.tag")),
            other => self.known(&format!("audience.{other}")).to_owned(),
        }
    }

    pub fn action(&self, action: domain::LifecycleAction) -> &'static str {
        self.known(&format!("action.{}", action.as_str()))
    }

    /// A stored word (a status, a channel…) in this language: `prefix` + `word`
    /// from the table, or the word itself when the table lacks it.
    pub fn word(&self, prefix: &str, word: &str) -> String {
        self.lookup(&format!("{prefix}{word}"))
            .map(str::to_owned)
            .unwrap_or_else(|| word.to_owned())
    }

    /// An order's status in this language.
    pub fn order_status(&self, status: &str) -> String {
        self.word("order_status.", status)
    }

    /// A role as the pages name it.
    pub fn role(&self, role: domain::roles::Role) -> &'static str {
        self.known(&format!("role.{}", role.as_str()))
    }

    /// A province code and its name: "31 上海".
    pub fn region(&self, region: domain::Region) -> String {
        format!("{region} {}", region.name_zh())
    }

    /// Stored fen as money: ¥99.00 (a value no amount can be shows as fen).
    pub fn fen(&self, fen: i64) -> String {
        domain::Money::from_fen(fen)
            .map(|m| self.money(m))
            .unwrap_or_else(|_| format!("{fen} fen"))
    }

    /// Why a claim or grant was refused, in this language.
    pub fn refusal(&self, refusal: domain::Refusal) -> &'static str {
        self.known(&format!("refusal.{}", refusal.code()))
    }

    pub fn money(&self, money: domain::Money) -> String {
        format!("¥{money}")
    }

    pub fn keys() -> impl Iterator<Item = &'static str> {
        TEXTS.iter().map(|(k, _, _)| *k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_the_templates_use_is_translated() {
        // The templates, and the handlers that look keys up themselves.
        let mut files = Vec::new();
        let mut folders = vec![
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates")),
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/admin")),
        ];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        let mut missing = Vec::new();
        for path in files.iter().filter(|p| !p.ends_with("i18n.rs")) {
            let text = std::fs::read_to_string(path).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if !T::keys().any(|k| k == key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "untranslated: {missing:?}");
        let mut keys: Vec<_> = T::keys().collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key is listed twice");
    }

    #[test]
    fn language_follows_the_setting_or_the_browser() {
        assert_eq!(Lang::from_locale("en"), Lang::En);
        assert_eq!(Lang::from_locale("zh-CN"), Lang::Zh);
        assert_eq!(
            Lang::from_accept_language(Some("en-US,en;q=0.9,zh;q=0.5")),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language(Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        let t = T::new(Lang::En);
        assert_eq!(t.kind(CouponKind::Follower), "Follower coupon");
        assert_eq!(T::new(Lang::Zh).status(CouponStatus::Paused), "已暂停");
        assert_eq!(t.money(domain::Money::yuan(99)), "¥99.00");
        assert_eq!(
            T::new(Lang::Zh).kind_and_scope(CouponKind::Shop, true),
            "商品券"
        );
        assert_eq!(
            T::new(Lang::Zh).kind_and_scope(CouponKind::Repurchase, true),
            "复购券 · 指定商品"
        );
        assert_eq!(t.kind_and_scope(CouponKind::Shop, false), "Shop coupon");
    }
}
