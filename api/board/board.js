// The Northstar board. Every value from the server reaches the page through textContent or an
// attribute set by the DOM API, never through HTML parsing: a title holding <script> is text.
"use strict";

const I18N = {
  zh: {
    switch_language: "English", log_in: "登录", log_out: "退出", username: "用户名",
    password: "密码", my_okrs: "我的目标与关键结果", past_cycles: "已结束周期中未关闭的目标（待清理）",
    agenda_cleanup_due: "季度清理", chain: "对齐链：直到北极星",
    inbox: "待我审批的目标调整", team: "团队视图", filter_unit: "组织单元",
    filter_health: "健康度", filter_text: "搜索", all: "全部", red: "红", amber: "黄",
    green: "绿", calibration: "校准会议程", outcomes: "记录会议结论", meeting_time: "会议时间",
    decisions: "决定（每行一条）", record_outcomes: "保存结论", alerts: "实时提醒",
    charts: "审计图表", chart_response: "目标调整响应时间（天）",
    field_before: "前 6 周", field_after: "近 6 周", field_check_in_usage: "签到使用率",
    field_views: "每人每周查看目标次数", field_response_days: "目标调整响应（天，中位数）",
    field_manual_error: "手工汇总误差（中位数，签到次数）",
    chart_views: "每人查看目标次数", check_in: "打卡", summary: "目标描述",
    progress_value: "当前进度", blocker: "阻塞问题（没有就写 none）", submit: "提交",
    cancel: "取消", request_adjustment: "申请调整目标", proposed_target: "建议目标",
    reason: "理由", evidence: "依据（链接或说明）", approve: "批准并生效", reject: "驳回",
    decision_note: "备注 / 驳回理由", north_star: "北极星指标", no_north_star: "总部尚未设定北极星",
    progress: "进度", expected: "应达", provenance_auto: "自动（销售数据）",
    provenance_manual: "手动（最近打卡）", provenance_none: "暂无数据", updated: "更新于",
    never: "从未", owner: "负责人", target: "目标", open_request: "待审批：目标改为",
    blocker_open: "阻碍", nothing_here: "暂无", show_more: "再显示 {n} 条",
    team_count: "共 {n} 条，显示 {shown} 条", inbox_empty: "没有待审批的申请",
    checked_in: "打卡已记录", requested: "调整申请已提交", approved: "已批准，新目标已生效",
    rejected: "已驳回", outcomes_saved: "会议结论已保存", reason_required: "驳回需要理由",
    verdict_keep: "维持", requested_by: "申请人", objective: "目标", cycle: "周期",
    agenda_off_track: "偏离", agenda_blockers: "阻碍", agenda_pending_adjustments: "待审批调整",
    agenda_no_check_in: "未打卡", agenda_empty: "议程为空", agenda_more: "另有 {n} 项未列出（按单元缩小范围）", logged_out: "已退出",
    minutes_ago: "{n} 分钟前", hours_ago: "{n} 小时前", days_ago: "{n} 天前", just_now: "刚刚",
    role_rep: "销售代表", role_manager: "经理", role_hq_admin: "总部管理员", role_auditor: "审计",
    role_hrbp: "HRBP", alert_owner: "负责人",
  },
  en: {
    switch_language: "中文", log_in: "Log in", log_out: "Log out", username: "Username",
    password: "Password", my_okrs: "My objectives and key results",
    past_cycles: "Still open from cycles that are over (to close in the cleanup)", agenda_cleanup_due: "cleanup",
    chain: "Alignment chain up to the north star", inbox: "Target adjustments awaiting me",
    team: "Team view", filter_unit: "Org unit", filter_health: "Health", filter_text: "Search",
    all: "All", red: "Red", amber: "Amber", green: "Green", calibration: "Calibration agenda",
    outcomes: "Record the meeting's outcomes", meeting_time: "Meeting time",
    decisions: "Decisions (one per line)", record_outcomes: "Save outcomes",
    alerts: "Live alerts", charts: "Audit charts",
    field_before: "6 weeks before", field_after: "last 6 weeks", field_check_in_usage: "check-in usage",
    field_views: "goal views per person per week", field_response_days: "adjustment answered (days, median)",
    field_manual_error: "manual aggregation error (median, check-ins)",
    chart_response: "Target-adjustment response time (days)",
    chart_views: "Goal views per person", check_in: "Check in", summary: "Goal description",
    progress_value: "Current progress", blocker: 'Blocker (or "none")',
    submit: "Submit", cancel: "Cancel", request_adjustment: "Request a target change",
    proposed_target: "Proposed target", reason: "Reason", evidence: "Evidence (link or note)",
    approve: "Approve and apply", reject: "Reject", decision_note: "Note / reason to reject",
    north_star: "North star", no_north_star: "HQ has not set a north star yet",
    progress: "progress", expected: "expected", provenance_auto: "auto (sales data)",
    provenance_manual: "manual (last check-in)", provenance_none: "no data yet",
    updated: "updated", never: "never", owner: "owner", target: "target",
    open_request: "pending: target to", blocker_open: "blocker", nothing_here: "Nothing here",
    show_more: "Show {n} more", team_count: "{n} in all, {shown} shown",
    inbox_empty: "No request waits for you", checked_in: "Check-in recorded",
    requested: "Adjustment requested", approved: "Approved; the new target applies",
    rejected: "Rejected", outcomes_saved: "Outcomes saved",
    reason_required: "A rejection needs a reason", verdict_keep: "keep",
    requested_by: "requested by", objective: "objective", cycle: "cycle",
    agenda_off_track: "off track", agenda_blockers: "blocker",
    agenda_pending_adjustments: "pending adjustment", agenda_no_check_in: "no check-in",
    agenda_empty: "The agenda is empty", agenda_more: "{n} more not listed (narrow by unit)", logged_out: "Logged out",
    minutes_ago: "{n} min ago", hours_ago: "{n} h ago", days_ago: "{n} days ago",
    just_now: "just now", role_rep: "rep", role_manager: "manager", role_hq_admin: "HQ admin",
    role_auditor: "auditor", role_hrbp: "HRBP", alert_owner: "owner",
  },
};
const ALERT_TYPES = [
  "kr.health_changed", "region.lagging", "adjustment.overdue", "escalation.overdue",
  "person.certification_suggested",
];
const PAGE = 200;
const AGENDA_SHOWN = 60;
const state = { lang: "zh", me: null, csrf: "", board: null, teamShown: PAGE, alerts: null };

function t(key, vars = {}) {
  const text = (I18N[state.lang] || I18N.zh)[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, body) {
    const fields = (body.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
    super([body.title, body.detail, fields].filter(Boolean).join(" — ") || `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, { method = "GET", body, key } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = state.csrf;
  }
  if (key) headers["Idempotency-Key"] = key;
  const reply = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (reply.status === 204) return null;
  const document_ = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new ApiError(reply.status, document_);
  return document_;
}

function applyI18n() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
}

function ago(iso) {
  if (!iso) return t("never");
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  if (minutes < 1) return t("just_now");
  if (minutes < 60) return t("minutes_ago", { n: minutes });
  if (minutes < 48 * 60) return t("hours_ago", { n: Math.round(minutes / 60) });
  return t("days_ago", { n: Math.round(minutes / 1440) });
}

const FORMATS = {
  zh: new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 2 }),
  en: new Intl.NumberFormat("en", { maximumFractionDigits: 2 }),
};

function number(value) {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  return Number.isFinite(n) ? FORMATS[state.lang].format(n) : String(value);
}

// The server words its reasons in English (domain/health.py, domain/calibration.py); the few
// shapes they take are rendered in the board's language here.
const REASONS = [
  [/^(-?[\d.]+) points behind the pacing line$/, { zh: "落后进度线 $1 个百分点" }],
  [/^on or ahead of pace$/, { zh: "进度达标或领先" }],
  [/^no update for 14 days$/, { zh: "14 天没有更新" }],
  [/^open blocker: (.*)$/s, { zh: "存在阻碍：$1" }],
  [/^never checked in$/, { zh: "从未打卡" }],
  [/^last check-in ([\d.]+) days ago$/, { zh: "上次打卡在 $1 天前" }],
  [/^request (\S+) waiting ([\d.]+) days$/, { zh: "申请 $1 已等待 $2 天" }],
];

function reasonText(text) {
  return String(text).split("; ").map((part) => {
    for (const [pattern, words] of REASONS) {
      if (pattern.test(part) && words[state.lang]) return part.replace(pattern, words[state.lang]);
    }
    return part;
  }).join(state.lang === "zh" ? "；" : "; ");
}

function notice(text) {
  $("notice").textContent = text;
}

// ---- session -------------------------------------------------------------------------------

async function start() {
  applyI18n();
  const board = api("/v1/board").catch((error) => error);  // in parallel with the session
  try {
    state.me = await api("/v1/session");
    state.csrf = state.me.csrf_token || "";
  } catch (error) {
    showLogin();
    return;
  }
  await showBoard(await board);
}

function showLogin() {
  $("login").hidden = false;
  $("board").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
}

async function logIn(event) {
  event.preventDefault();
  const form = event.target;
  $("login-error").textContent = "";
  try {
    await api("/v1/session", {
      method: "POST",
      body: { username: form.username.value, password: form.password.value },
    });
    form.reset();
    await start();
  } catch (error) {
    $("login-error").textContent = error.message;
  }
}

async function logOut() {
  await api("/v1/session", { method: "DELETE" }).catch(() => null);
  if (state.alerts) state.alerts.close();
  state.alerts = null;
  state.me = null;
  showLogin();
  $("login-error").textContent = t("logged_out");
}

// ---- the board -----------------------------------------------------------------------------

async function showBoard(prefetched) {
  $("login").hidden = true;
  $("board").hidden = false;
  $("logout").hidden = false;
  await loadBoard(prefetched);
  startAlerts();
}

async function loadBoard(prefetched) {
  try {
    const board = prefetched || (await api("/v1/board"));
    if (board instanceof Error) throw board;
    state.board = board;
  } catch (error) {
    if (error.status === 401) return showLogin();
    notice(error.message);
    return;
  }
  render();
}

function render() {
  const me = state.me;
  const board = state.board;
  if (!me || !board) return;
  $("who").textContent = `${me.name || me.person_id} · ${t("role_" + me.role)} · ${me.unit_id}`;
  renderNorthStar(board);
  // A past cycle's open objectives and their KRs are not this quarter's work: shown apart,
  // to be closed (the focus rule's cleanup).
  const mine = board.krs.filter((kr) => kr.relation === "mine" && !kr.cycle_over);
  const objectives = board.objectives.filter((o) => o.mine && !o.cycle_over);
  $("my-objectives").replaceChildren(...objectives.map(objectiveCard));
  $("my-krs").replaceChildren(...(mine.length ? mine.map(krCard) : [el("p", { text: t("nothing_here") })]));
  const pastObjectives = board.objectives.filter((o) => o.mine && o.cycle_over && o.status === "active");
  const pastKrs = board.krs.filter((kr) => kr.relation === "mine" && kr.cycle_over);
  $("past-cycles").hidden = !pastObjectives.length && !pastKrs.length;
  $("past-objectives").replaceChildren(...pastObjectives.map(objectiveCard));
  $("past-krs").replaceChildren(...pastKrs.map(krCard));
  renderChain(board);
  const leads = LEADS.includes(me.role);
  $("team").hidden = !leads;
  $("inbox-panel").hidden = !["manager", "hq_admin"].includes(me.role);
  $("calibration").hidden = !leads || !board.cycle;
  $("charts").hidden = !["hq_admin", "auditor"].includes(me.role);
  $("outcomes-form").hidden = !["manager", "hq_admin"].includes(me.role);
  if (leads) renderTeam();
  if (!$("inbox-panel").hidden) renderInbox(board.inbox);
  if (!$("calibration").hidden) renderCalibrationUnits();
  if (!$("charts").hidden) renderCharts();
  renderLoop();
}

function renderNorthStar(board) {
  const star = board.north_star;
  const banner = $("north-star");
  if (!star) {
    banner.replaceChildren(el("div", { className: "label", text: t("no_north_star") }));
    return;
  }
  const cycle = board.cycle ? `${t("cycle")} ${board.cycle.cycle_id}` : "";
  banner.replaceChildren(
    el("div", { className: "label", text: t("north_star") }),
    el("div", { className: "metric", text: `${star.metric} ${star.comparison} ${number(star.target)} ${star.unit}` }),
    star.live ? liveNorthStar(star) : null,
    star.objectives && star.objectives.basis !== "none"
      ? el("div", { className: "objectives-number", "data-progress": star.objectives.progress, "data-health": star.objectives.health },
          healthBadge(star.objectives.health), ` ${t("star_objectives")} ${number(star.objectives.progress)}%`)
      : null,
    el("div", { className: "label", text: cycle }),
  );
}

function liveNorthStar(star) {
  // The measuring KR's value now, its progress, and a sparkline of its last weeks.
  const live = star.live;
  const values = live.trend.map((p) => Number(p.value) || 0);
  const top = Math.max(...values, 1);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${10 * (values.length - 1) || 1} 20`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "trend");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${t("trend")}: ${live.trend.map((p) => `${p.day} ${number(p.value)}`).join(", ")}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", values.map((v, i) => `${10 * i},${20 - (18 * v) / top}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#fff");
  line.setAttribute("stroke-width", "1.5");
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(line);
  const previous = values.length > 1 ? values[values.length - 2] : null;
  const change = previous === null ? "" : ` (${values[values.length - 1] >= previous ? "▲" : "▼"} ${number(values[values.length - 1] - previous)})`;
  return el("div", { className: "live", "data-kr-id": live.kr_id },
    el("span", { className: "value", "data-value": live.value, text: `${t("live_value")} ${number(live.value)} ${star.unit}` }),
    el("span", { className: "label", text: ` · ${number(live.of_target_pct)}% ${t("of_target")}${change} · ${t("trend")}` }),
    svg);
}

function healthBadge(health) {
  const colour = health || "none";
  return el("span", { className: `badge ${colour}`, text: health ? t(health) : "—" });
}

function pacingChart(progress, expected) {
  // A bullet chart: the bar is progress, the dark tick is where the pacing line says it
  // should be today; both on 0..max(100, progress).
  const ns = "http://www.w3.org/2000/svg";
  const p = Math.max(0, Number(progress) || 0);
  const e = Math.max(0, Number(expected) || 0);
  const scale = Math.max(100, p, e);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 100 10");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "pacing");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${t("progress")} ${number(progress)}%, ${t("expected")} ${number(expected)}%`);
  const shape = (name, attrs) => {
    const node = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    svg.append(node);
  };
  shape("rect", { x: 0, y: 2, width: 100, height: 6, fill: "#edf2f7" });
  shape("rect", { x: 0, y: 2, width: (100 * p) / scale, height: 6, fill: p >= e ? "#38a169" : "#dd6b20", class: "bar" });
  shape("line", { x1: (100 * e) / scale, x2: (100 * e) / scale, y1: 0, y2: 10, stroke: "#1a202c", "stroke-width": 1.2, class: "pace" });
  return svg;
}

function krCard(kr) {
  const meta = `${t("owner")} ${kr.owner_name} · ${number(kr.current)} / ${number(kr.target)} ${kr.unit}`;
  const provenance = t("provenance_" + kr.provenance);
  const card = el(
    "article",
    { className: `kr health-${kr.health}`, "data-kr-id": kr.kr_id, "data-health": kr.health },
    el("div", {}, healthBadge(kr.health), el("span", { className: "title", text: kr.title })),
    el("div", { className: "meta", text: meta }),
    pacingChart(kr.progress, kr.expected),
    el("div", { className: "meta", text: `${t("progress")} ${number(kr.progress)}% · ${t("expected")} ${number(kr.expected)}%` }),
    el("div", { className: "meta provenance", text: `${provenance} · ${t("updated")} ${ago(kr.as_of)}` }),
  );
  const weights = (state.board.objectives || []).filter((o) => (o.kr_weights || {})[kr.kr_id] !== undefined);
  if (weights.length) {
    card.append(el("div", { className: "meta weights" }, ...weights.map((o) =>
      el("span", { className: "weight", "data-objective-id": o.objective_id, "data-weight": o.kr_weights[kr.kr_id],
        text: `${t("weight")} ${number(o.kr_weights[kr.kr_id])}% · ${o.title} ` }))));
  }
  if (kr.reasons && kr.reasons.length) card.append(el("p", { className: "reasons", text: reasonText(kr.reasons.join("; ")) }));
  if (kr.open_blocker) card.append(el("p", { className: "reasons", text: `${t("blocker_open")}: ${kr.open_blocker}` }));
  const pending = (state.board.inbox || []).find((item) => item.kr_id === kr.kr_id);
  if (kr.open_request_id) {
    const proposed = pending ? ` ${number(pending.proposed_target)}` : "";
    card.append(el("p", { className: "meta pending", text: `${t("open_request")}${proposed} (${kr.open_request_id})` }));
  }
  if (kr.relation === "mine" && state.me.role !== "auditor") {
    card.append(
      el("div", { className: "buttons" },
        el("button", { type: "button", className: "check-in", text: t("check_in"), onclick: () => openCheckIn(kr) }),
        kr.open_request_id ? null : el("button", { type: "button", className: "secondary request-adjustment", text: t("request_adjustment"), onclick: () => openAdjust(kr) }),
      ),
    );
  }
  return card;
}

function objectiveCard(objective) {
  return el(
    "div",
    { className: `objective health-${objective.health}`, "data-objective-id": objective.objective_id },
    el("div", {}, healthBadge(objective.health), el("strong", { text: objective.title })),
    el("div", { className: "meta", text: `${t("progress")} ${number(objective.progress)}% · ${objective.cycle_id}` }),
  );
}

function renderChain(board) {
  const byId = new Map(board.objectives.map((o) => [o.objective_id, o]));
  const lists = [];
  const star = board.north_star;
  // Each objective with every parent it contributes to (and theirs), up to the north star.
  const node = (objective, path) => {
    const item = el("li", { "data-objective-id": objective.objective_id },
      healthBadge(objective.health), `${objective.title} · ${number(objective.progress)}%`);
    const parents = (objective.parents || []).map((id) => byId.get(id)).filter((p) => p && !path.has(p.objective_id));
    const above = parents.map((p) => node(p, new Set([...path, p.objective_id])));
    if (!parents.length && star) {
      above.push(el("li", { className: "star", text: `★ ${star.metric} ${star.comparison} ${number(star.target)} ${star.unit}` }));
    }
    if (above.length) item.append(el("ol", {}, ...above));
    return item;
  };
  for (const start of board.objectives.filter((o) => o.mine)) {
    lists.push(node(start, new Set([start.objective_id])));
  }
  $("chain-list").replaceChildren(...(lists.length ? lists : [el("li", { text: t("nothing_here") })]));
  $("chain-krs").replaceChildren(...board.krs.filter((kr) => kr.relation === "chain").map(krCard));
}

// ---- team view -----------------------------------------------------------------------------

function teamKrs() {
  return state.board.krs.filter((kr) => kr.relation === "team");
}

function renderTeam() {
  const all = teamKrs();
  const units = [...new Set(all.map((kr) => kr.owner_unit_id))].sort();
  const select = $("filter-unit");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: t("all") }), ...units.map((u) => el("option", { value: u, text: u })));
  select.value = units.includes(chosen) ? chosen : "";
  drawTeam();
}

function drawTeam() {
  const unit = $("filter-unit").value;
  const health = $("filter-health").value;
  const text = $("filter-text").value.trim().toLowerCase();
  const matching = teamKrs().filter((kr) =>
    (!unit || kr.owner_unit_id === unit) &&
    (!health || kr.health === health) &&
    (!text || `${kr.title} ${kr.owner_name} ${kr.kr_id}`.toLowerCase().includes(text)));
  const shown = matching.slice(0, state.teamShown);
  $("team-krs").replaceChildren(...(shown.length ? shown.map(krCard) : [el("p", { text: t("nothing_here") })]));
  $("team-count").textContent = t("team_count", { n: matching.length, shown: shown.length });
  const more = $("team-more");
  more.hidden = matching.length <= shown.length;
  more.textContent = t("show_more", { n: Math.min(PAGE, matching.length - shown.length) });
}

// ---- inbox ---------------------------------------------------------------------------------

function renderInbox(items) {
  $("inbox-count").textContent = `(${items.length})`;
  if (!items.length) {
    $("inbox").replaceChildren(el("p", { text: t("inbox_empty") }));
    return;
  }
  $("inbox").replaceChildren(...items.map((item) => {
    const note = el("input", { name: "note", maxlength: 1000, "aria-label": t("decision_note") });
    const error = el("p", { className: "error", role: "alert" });
    const decide = async (verb) => {
      error.textContent = "";
      const base = `/v1/okr/key-results/${encodeURIComponent(item.kr_id)}/adjustments/${encodeURIComponent(item.request_id)}`;
      try {
        if (verb === "approve") {
          await api(`${base}/approve`, { method: "POST", body: { note: note.value }, key: `approve-${item.request_id}` });
          await api(`${base}/apply`, { method: "POST", body: {}, key: `apply-${item.request_id}` });
          notice(t("approved"));
        } else {
          if (!note.value.trim()) { error.textContent = t("reason_required"); return; }
          await api(`${base}/reject`, { method: "POST", body: { reason: note.value }, key: `reject-${item.request_id}` });
          notice(t("rejected"));
        }
        await loadBoard();
      } catch (failure) {
        error.textContent = failure.message;
      }
    };
    return el("div", { className: "inbox-item", "data-kr-id": item.kr_id, "data-request-id": item.request_id },
      el("div", { className: "title", text: item.title }),
      el("div", { className: "meta", text: `${t("owner")} ${item.owner_name} · ${t("requested_by")} ${item.requested_by} · ${ago(item.requested_at)}` }),
      el("div", { text: `${t("target")}: ${number(item.current_target)} → ${number(item.proposed_target)}` }),
      el("div", { className: "meta", text: `${t("reason")}: ${item.reason}` }),
      el("label", {}, el("span", { text: t("decision_note") }), note),
      el("div", { className: "buttons" },
        el("button", { type: "button", className: "approve", text: t("approve"), onclick: () => decide("approve") }),
        el("button", { type: "button", className: "secondary reject", text: t("reject"), onclick: () => decide("reject") })),
      error);
  }));
}

// ---- check-in and adjustment dialogs -------------------------------------------------------

let hintTimer = 0;

function openCheckIn(kr) {
  const dialog = $("check-in-dialog");
  const form = $("check-in-form");
  form.reset();
  form.dataset.krId = kr.kr_id;
  form.dataset.key = crypto.randomUUID();
  dialog.querySelector(".kr-title").textContent = kr.title;
  form.querySelector(".hints").replaceChildren();
  form.querySelector(".error").textContent = "";
  dialog.showModal();
  refreshHints();
}

function refreshHints() {
  clearTimeout(hintTimer);
  hintTimer = setTimeout(async () => {
    const form = $("check-in-form");
    const query = new URLSearchParams({
      summary: form.summary.value, progress_value: form.progress_value.value, blocker: form.blocker.value,
    });
    try {
      const hints = await api(`/v1/okr/key-results/${encodeURIComponent(form.dataset.krId)}/check-in-hints?${query}`);
      form.querySelector(".hints").replaceChildren(...hints.map((h) =>
        el("li", { "data-code": h.code, text: state.lang === "zh" ? h.message_zh : h.message_en })));
    } catch (error) {
      form.querySelector(".error").textContent = error.message;
    }
  }, 200);
}

async function submitCheckIn(event) {
  event.preventDefault();
  const form = event.target;
  const kr = form.dataset.krId;
  try {
    await api(`/v1/okr/key-results/${encodeURIComponent(kr)}/check-ins`, {
      method: "POST", key: form.dataset.key,
      body: { summary: form.summary.value, progress_value: form.progress_value.value.trim(), blocker: form.blocker.value },
    });
    $("check-in-dialog").close();
    notice(t("checked_in"));
    await loadBoard();
  } catch (error) {
    form.querySelector(".error").textContent = error.message;
  }
}

function openAdjust(kr) {
  const dialog = $("adjust-dialog");
  const form = $("adjust-form");
  form.reset();
  form.dataset.krId = kr.kr_id;
  form.dataset.requestId = `req-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  dialog.querySelector(".kr-title").textContent = kr.title;
  dialog.querySelector(".current-target").textContent = `${t("target")}: ${number(kr.target)} ${kr.unit}`;
  form.querySelector(".error").textContent = "";
  dialog.showModal();
}

async function submitAdjust(event) {
  event.preventDefault();
  const form = event.target;
  const evidence = form.evidence.value.trim();
  try {
    await api(`/v1/okr/key-results/${encodeURIComponent(form.dataset.krId)}/adjustments`, {
      method: "POST", key: form.dataset.requestId,
      body: {
        request_id: form.dataset.requestId, proposed_target: form.proposed_target.value.trim(),
        reason: form.reason.value, evidence: evidence ? [evidence] : [],
      },
    });
    $("adjust-dialog").close();
    notice(t("requested"));
    await loadBoard();
  } catch (error) {
    form.querySelector(".error").textContent = error.message;
  }
}

// ---- calibration ---------------------------------------------------------------------------

function renderCalibrationUnits() {
  const select = $("calibration-unit");
  const units = [state.me.unit_id, ...new Set(teamKrs().map((kr) => kr.owner_unit_id))];
  const unique = [...new Set(units)];
  const chosen = select.value || state.me.unit_id;
  select.replaceChildren(...unique.map((u) => el("option", { value: u, text: u })));
  select.value = unique.includes(chosen) ? chosen : state.me.unit_id;
  loadAgenda();
}

async function loadAgenda() {
  const cycle = state.board.cycle;
  const unit = $("calibration-unit").value;
  const query = new URLSearchParams({ unit_id: unit, cycle_start: cycle.starts_on, cycle_end: cycle.ends_on });
  let items = [];
  try {
    items = await api(`/v1/okr/calibration/agenda?${query}`);
  } catch (error) {
    $("agenda").replaceChildren(el("li", { className: "error", text: error.message }));
    return;
  }
  renderAgenda(items);  // loop.js: the three questions and the outcomes they lead to
  await loadMeetings();
}

// ---- charts and live alerts ----------------------------------------------------------------

function renderCharts() {
  $("chart-response").src = "/v1/reports/charts/response-times.svg?by=month";
  $("chart-response").alt = t("chart_response");
  $("chart-views").src = "/v1/reports/charts/goal-views.svg?per=week";
  $("chart-views").alt = t("chart_views");
  for (const [id, figure, label] of [["chart-field-usage", "check_in_usage", "field_check_in_usage"],
    ["chart-field-views", "views", "field_views"], ["chart-field-response", "response_days", "field_response_days"]]) {
    $(id).src = `/v1/reports/charts/field-figures.svg?figure=${figure}`;
    $(id).alt = t(label);
  }
  renderFieldFigures();
}

// The field notes' figures, measured from events: the six whole weeks before the last six
// against those six (check-in usage, goal views per person per week, the median days to answer a
// target-adjustment request), and the manual aggregation error of the last twelve weeks.
async function renderFieldFigures() {
  // whole weeks (from Monday, dates read in company time), as the charts and the demo count them
  const monday = new Date();
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7));
  const pad = (n) => String(n).padStart(2, "0");
  const at = (weeksAgo) => {
    const d = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() - 7 * weeksAgo);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  };
  let adoption = null;
  let manual = null;
  try {
    adoption = await api(`/v1/reports/adoption?before=${at(12)}..${at(6)}&after=${at(6)}..${at(0)}`);
    manual = await api("/v1/reports/manual-vs-system");
  } catch (error) {
    return;
  }
  const pct = (interval) => (interval && interval.value !== null ? `${number(100 * interval.value)}%` : "—");
  const per = (interval) => (interval && interval.value !== null ? number(interval.value) : "—");
  const days = (side) => {
    const hours = adoption.response_times[side].hours_to_decision.median;
    return hours === null ? "—" : number(hours / 24);
  };
  const figures = [
    ["field_check_in_usage", pct(adoption.before.check_in_usage.all), pct(adoption.after.check_in_usage.all)],
    ["field_views", per(adoption.before.views_per_person_per_week.all), per(adoption.after.views_per_person_per_week.all)],
    ["field_response_days", days("before"), days("after")],
  ];
  const rows = figures.map(([key, before, after]) => el("tr", { "data-figure": key },
    el("th", { text: t(key) }), el("td", { className: "before", text: before }), el("td", { className: "after", text: after })));
  const error = manual.all.median === null ? "—" : `${number(100 * Number(manual.all.median))}%`;
  rows.push(el("tr", { "data-figure": "field_manual_error" }, el("th", { text: t("field_manual_error") }),
    el("td", { colspan: 2, text: `${error} (${manual.all.check_ins})` })));
  $("field-figures").replaceChildren(
    el("thead", {}, el("tr", {}, el("th"), el("th", { text: t("field_before") }), el("th", { text: t("field_after") }))),
    el("tbody", {}, ...rows));
}

function krName(krId) {
  // The KR's title and owner when the board holds it, else its id.
  const kr = state.board && state.board.krs.find((k) => k.kr_id === krId);
  if (!kr) return krId;
  const owner = `${t("alert_owner")} ${kr.owner_name}`;
  return state.lang === "zh" ? `${kr.title}（${owner}）` : `${kr.title} (${owner})`;
}

function alertText(alert) {
  switch (alert.type) {
    case "alert.kr.health_changed":
      return `${krName(alert.kr_id)}: ${alert.old_health ? t(alert.old_health) : "—"} → ${t(alert.new_health)} · ${t("progress")} ${number(alert.progress_pct)}% / ${t("expected")} ${number(alert.expected_pct)}%`;
    case "alert.region.lagging":
      return `${alert.region_id}: ${alert.iso_weeks.join(", ")}`;
    case "alert.adjustment.overdue":
      return `${krName(alert.kr_id)} ${alert.request_id}: ${number(alert.waiting_hours)} h`;
    case "alert.escalation.overdue":
      return `${krName(alert.kr_id)} ${alert.escalation_id}: ${number(alert.waiting_hours)} h`;
    case "alert.person.certification_suggested":
      return `${alert.person_id}: ${alert.cycle_ids.join(", ")}`;
    default:
      return alert.type;
  }
}

function startAlerts() {
  if (state.alerts || typeof EventSource === "undefined") return;
  const since = new Date(Date.now() - 7 * 86400000).toISOString();
  const source = new EventSource(`/v1/alerts/stream?since=${encodeURIComponent(since)}`);
  const seen = new Set();
  const onAlert = (event) => {
    if (seen.has(event.lastEventId)) return;
    seen.add(event.lastEventId);
    const alert = JSON.parse(event.data);
    const item = el("li", { "data-type": alert.type, "data-kr-id": alert.kr_id },
      el("time", { text: ago(alert.occurred_at) }), " ", alertText(alert));
    const list = $("alerts");
    list.prepend(item);
    while (list.children.length > 50) list.lastChild.remove();
  };
  for (const type of ALERT_TYPES) source.addEventListener(type, onAlert);
  state.alerts = source;
}

// ---- wiring --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  state.lang = localStorage.getItem("northstar.lang") === "en" ? "en" : "zh";
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("northstar.lang", state.lang);
    applyI18n();
    render();
  });
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", logOut);
  for (const id of ["filter-unit", "filter-health"]) $(id).addEventListener("change", () => { state.teamShown = PAGE; drawTeam(); });
  $("filter-text").addEventListener("input", () => { state.teamShown = PAGE; drawTeam(); });
  $("team-more").addEventListener("click", () => { state.teamShown += PAGE; drawTeam(); });
  $("calibration-unit").addEventListener("change", loadAgenda);
  $("check-in-form").addEventListener("submit", submitCheckIn);
  $("check-in-form").addEventListener("input", refreshHints);
  $("adjust-form").addEventListener("submit", submitAdjust);
  for (const button of document.querySelectorAll("dialog .cancel")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
  start();
});
