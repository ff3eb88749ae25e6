// The management loop on the board (loaded after board.js, whose helpers it uses): calibration
// meetings with their three questions and outcomes that take effect, the escalation inbox,
// shared practices, the quarter's cleanup, HRBP proposals, and the short forms for new goals
// with quality hints as one types. Every server value reaches the page as text.
"use strict";

Object.assign(I18N.zh, {
  contributes_to: "对齐到（上级目标）", kr_objective: "归入我的目标", kr_no_objective: "暂不归入",
  realign: "调整对齐", realign_submit: "重新对齐", realigned: "已重新对齐", north_star_parent: "★ 北极星",
  new_goals: "新建目标", new_objective: "新目标（本周期）", objective_title: "目标描述",
  create_objective: "创建目标", new_kr: "新关键结果（三项即可）", kr_description: "目标描述",
  kr_metric: "数据来源", kr_manual: "手动打卡", kr_target: "目标值", create_kr: "创建关键结果",
  created: "已创建", meeting: "会议", new_meeting: "新会议（现在）", question_is_progress_healthy: "一、进展是否健康？",
  question_which_blockers_need_support: "二、哪些阻碍需要跨层级支持？",
  question_should_weights_change: "三、关键结果权重是否需要调整？", weight: "权重",
  escalate_to: "上升到", escalate_note: "需要的支持", minutes: "会议纪要", changed: "变更",
  escalations: "需要我支持的阻碍", acknowledge: "已知悉", resolve: "已解决", resolution: "处理说明",
  due: "到期", overdue: "已逾期", raised_by: "提出人", acknowledged: "已知悉", resolved: "已解决",
  practices: "经验分享", practice_search: "按指标、标签或关键词搜索", adopt: "采纳到我的单元",
  adopted: "已采纳", adopters: "采纳单元", cleanup: "季度清理：每人最多 3 个进行中的目标，已结束周期的目标需关闭",
  cleanup_task: "{owner}：{n} 个进行中的目标（季度初 {start} 个）", cleanup_done: "已完成", cleanup_to_close: "待关闭（周期已结束）",
  close_objective: "关闭", closed: "目标已关闭", proposals: "待总部审批的 HRBP 提案",
  proposed_by: "提案人", region: "区域", proposal_approved: "提案已批准，目标已生效",
  proposal_rejected: "提案已驳回", trend: "近 6 周", live_value: "当前", of_target: "占目标",
  star_objectives: "对齐目标进展", agenda_objective: "目标",
  publish_practice: "分享一条经验", practice_kr: "它推动的关键结果", practice_title: "标题",
  practice_description: "做法", practice_figure: "证据数据（如转化率 27）", practice_tags: "标签（空格分隔）",
  publish: "发布", published: "经验已发布", practice_metric: "证据指标", propose_kr: "为本区域单元提议关键结果",
  unit_of_measure: "单位", start_value: "起点", propose: "提交提案", proposed: "提案已提交，等待总部审批",
  operations: "运行状况", ops_lag: "销售待处理记录", ops_freshness: "最近一批销售入账用时（秒）",
  ops_okr_lag: "待应用的目标事件", ops_backlog: "待发布事件", ops_oldest: "最早待发布（秒）",
  ops_parked: "暂停的事件流", ops_restarts: "进程重启次数",
  scorecards: "成绩单", my_scorecard: "我的关键结果", team_scorecard: "团队：{unit}",
  weakest: "最需要关注：{title}，落后进度线 {points} 个百分点", krs_count: "{n} 个关键结果",
  certifications: "认证：客户管理专家", cert_status_suggested: "系统建议", cert_status_nominated: "已提名",
  cert_status_granted: "已认证", nominate: "提名", grant: "授予认证", cert_note: "说明",
  cert_projects: "推荐参与的总部战略项目", nominated: "已提名，等待总部", granted: "已授予认证",
  cert_cycles: "{a} 与 {b} 两个周期均超额完成",
});
Object.assign(I18N.en, {
  contributes_to: "Aligned to (parent objective)", kr_objective: "Under my objective", kr_no_objective: "none yet",
  realign: "Re-align an objective", realign_submit: "Re-align", realigned: "Re-aligned", north_star_parent: "★ north star",
  new_goals: "New goals", new_objective: "New objective (this cycle)", objective_title: "Goal description",
  create_objective: "Create objective", new_kr: "New key result (three fields)", kr_description: "Goal description",
  kr_metric: "Fed by", kr_manual: "manual check-ins", kr_target: "Target", create_kr: "Create key result",
  created: "Created", meeting: "Meeting", new_meeting: "New meeting (now)",
  question_is_progress_healthy: "1. Is progress healthy?",
  question_which_blockers_need_support: "2. Which blockers need support across levels?",
  question_should_weights_change: "3. Should KR weights change?", weight: "weight",
  escalate_to: "Escalate to", escalate_note: "Support needed", minutes: "Minutes", changed: "changed",
  escalations: "Blockers raised to me", acknowledge: "Acknowledge", resolve: "Resolve",
  resolution: "How it was handled", due: "due", overdue: "overdue", raised_by: "raised by",
  acknowledged: "acknowledged", resolved: "resolved", practices: "Shared practices",
  practice_search: "Search by metric, tag or words", adopt: "Adopt in my unit", adopted: "Adopted",
  adopters: "adopting units", cleanup: "Quarterly cleanup: at most 3 objectives in force each, none left from a cycle that is over",
  cleanup_task: "{owner}: {n} objectives in force ({start} at the quarter's start)", cleanup_done: "done",
  cleanup_to_close: "to close (cycle over)",
  close_objective: "Close", closed: "Objective closed", proposals: "HRBP proposals awaiting HQ",
  proposed_by: "proposed by", region: "region", proposal_approved: "Approved; the goal is defined",
  proposal_rejected: "Proposal rejected", trend: "last 6 weeks", live_value: "now", of_target: "of target",
  star_objectives: "objectives aligned to it", agenda_objective: "objective",
  publish_practice: "Share a practice", practice_kr: "The key result it moved", practice_title: "Title",
  practice_description: "What was done", practice_figure: "Evidence figure (e.g. conversion 27)",
  practice_tags: "Tags (space separated)", publish: "Publish", published: "Practice published",
  practice_metric: "Evidence metric",
  propose_kr: "Propose a key result for a unit", unit_of_measure: "Unit", start_value: "Start",
  propose: "Propose", proposed: "Proposed; waiting for HQ",
  operations: "Operations", ops_lag: "sales records waiting",
  ops_freshness: "last sales batch: sale to counted (s)", ops_okr_lag: "OKR events waiting to apply", ops_backlog: "events waiting to publish",
  ops_oldest: "oldest waiting (s)", ops_parked: "parked streams", ops_restarts: "process restarts",
  scorecards: "Scorecards", my_scorecard: "My key results", team_scorecard: "Team: {unit}",
  weakest: "Needs attention most: {title}, {points} points behind the pacing line", krs_count: "{n} key results",
  certifications: "Certification: customer management expert", cert_status_suggested: "suggested",
  cert_status_nominated: "nominated", cert_status_granted: "certified", nominate: "Nominate",
  grant: "Grant certification", cert_note: "Note", cert_projects: "Recommend for HQ strategic projects",
  nominated: "Nominated; HQ decides", granted: "Certification granted", cert_cycles: "over target in {a} and {b}",
});

const LEADS = ["manager", "hq_admin", "auditor", "hrbp"];
const DEFINES_KRS = ["manager", "hq_admin"];

// ---- quality hints as one types (objectives, KRs, check-ins) -------------------------------

function hintList(hints) {
  return hints.map((h) => el("li", { "data-code": h.code, text: state.lang === "zh" ? h.message_zh : h.message_en }));
}

function liveHints(input, list) {
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = input.value.trim();
      if (!text) { list.replaceChildren(); return; }
      try {
        list.replaceChildren(...hintList(await api(`/v1/okr/hints?${new URLSearchParams({ title: text })}`)));
      } catch (error) {
        list.replaceChildren(el("li", { className: "error", text: error.message }));
      }
    }, 200);
  });
}

// ---- new goals: an objective, a KR in three fields -----------------------------------------

// The parents a new or re-aligned objective may contribute to: the objectives of the chain and
// the team the board shows (the server checks the cycle and loops), and the north star for HQ.
function parentOptions(except) {
  const board = state.board;
  const options = board.objectives
    .filter((o) => !o.mine && o.status === "active" && !o.cycle_over && o.objective_id !== except)
    .map((o) => el("option", { value: o.objective_id, text: `${o.title} · ${o.owner_person_id} · ${o.cycle_id}` }));
  if (state.me.role === "hq_admin") options.unshift(el("option", { value: "north-star", text: t("north_star_parent") }));
  return options;
}

function myObjectives() {
  return state.board.objectives.filter((o) => o.mine && o.status === "active" && !o.cycle_over);
}

function renderGoalForms() {
  const me = state.me;
  const cycle = state.board.cycle;
  $("goal-forms").hidden = me.role === "auditor" || me.role === "hrbp" || !cycle;
  $("kr-form").hidden = !DEFINES_KRS.includes(me.role);
  $("objective-form").parent.replaceChildren(...parentOptions(null));
  $("kr-form").kr_objective.replaceChildren(
    el("option", { value: "", text: t("kr_no_objective") }),
    ...myObjectives().map((o) => el("option", { value: o.objective_id, text: o.title })),
  );
  const align = $("align-form");
  align.hidden = !myObjectives().length;
  align.objective.replaceChildren(...myObjectives().map((o) => el("option", { value: o.objective_id, text: o.title })));
  align.parent.replaceChildren(...parentOptions(align.objective.value));
}

async function submitAlign(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".error");
  error.textContent = "";
  const objective = state.board.objectives.find((o) => o.objective_id === form.objective.value);
  try {
    await api(`/v1/okr/objectives/${encodeURIComponent(objective.objective_id)}/align`, {
      method: "POST", key: `align-${objective.objective_id}-${Date.now().toString(36)}`,
      body: {
        owner_person_id: objective.owner_person_id, cycle_id: objective.cycle_id,
        contributes_to: [{ parent_id: form.parent.value, weight: "100" }],
      },
    });
    notice(t("realigned"));
    await loadBoard();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function submitObjective(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".error");
  error.textContent = "";
  const cycle = state.board.cycle.cycle_id;
  const id = `o-${state.me.person_id}-${Date.now().toString(36)}`;
  try {
    await api("/v1/okr/objectives", {
      method: "POST", key: `objective-${id}`,
      body: {
        objective_id: id, title: form.objective_title.value, owner_person_id: state.me.person_id,
        owner_unit_id: state.me.unit_id, cycle_id: cycle,
        contributes_to: [{ parent_id: form.parent.value, weight: "100" }],
      },
    });
    form.reset();
    form.querySelector(".hints").replaceChildren();
    notice(t("created"));
    await loadBoard();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function submitKr(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".error");
  error.textContent = "";
  const body = { description: form.kr_description.value, target: form.kr_target.value.trim() };
  if (form.kr_metric.value) body.metric = form.kr_metric.value;
  if (form.kr_objective.value) body.objective_id = form.kr_objective.value;
  try {
    const reply = await api("/v1/okr/key-results/three-fields", { method: "POST", key: form.dataset.key, body });
    form.reset();
    form.dataset.key = crypto.randomUUID();
    form.querySelector(".hints").replaceChildren(...hintList(reply.hints || []));
    notice(`${t("created")}: ${reply.kr_id}`);
    await loadBoard();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

// ---- calibration: meetings, the three questions, outcomes that take effect, minutes --------

async function loadMeetings() {
  const unit = $("calibration-unit").value;
  const select = $("meeting");
  let meetings = [];
  try {
    meetings = await api(`/v1/okr/calibration/meetings?${new URLSearchParams({ unit_id: unit })}`);
  } catch (error) {
    meetings = [];
  }
  const open = meetings.filter((m) => !m.concluded_at).reverse();  // soonest first
  select.replaceChildren(
    ...open.map((m) => el("option", { value: m.meeting_id, text: `${m.meeting_id} · ${new Date(m.starts_at).toLocaleString()}` })),
    el("option", { value: "", text: t("new_meeting") }),
  );
}

function agendaSection(question, items) {
  return el("li", { className: "question", "data-question": question },
    el("h3", { text: t("question_" + question) }),
    el("ol", {}, ...(items.length ? items : [el("li", { className: "meta", text: t("agenda_empty") })])));
}

function renderAgenda(items) {
  const byQuestion = { is_progress_healthy: [], which_blockers_need_support: [], should_weights_change: [] };
  for (const item of items.slice(0, AGENDA_SHOWN)) {
    byQuestion[item.question].push(el("li", { "data-kr-id": item.kr_id, "data-objective-id": item.section === "objective" ? item.objective_ids[0] : null, "data-section": item.section },
      el("span", { className: "section", text: t("agenda_" + item.section) }), " ",
      healthBadge(item.health), `${item.title} · ${item.owner_person_id} · ${reasonText(item.detail || "")}`));
  }
  $("agenda").replaceChildren(
    agendaSection("is_progress_healthy", byQuestion.is_progress_healthy),
    agendaSection("which_blockers_need_support", byQuestion.which_blockers_need_support),
    agendaSection("should_weights_change", byQuestion.should_weights_change),
  );
  if (items.length > AGENDA_SHOWN) {
    $("agenda").append(el("li", { className: "meta", text: t("agenda_more", { n: items.length - AGENDA_SHOWN }) }));
  }
  const unique = (section) => [...new Map(items.slice(0, AGENDA_SHOWN).filter((i) => i.section === section).map((i) => [i.kr_id, i])).values()];
  $("verdicts").replaceChildren(...unique("off_track").map((item) => el("label", {},
    el("span", { text: item.title }),
    el("select", { name: "verdict", "data-kr-id": item.kr_id },
      el("option", { value: "", text: t("verdict_keep") }),
      ...["green", "amber", "red"].map((h) => el("option", { value: h, text: t(h) }))))));
  const unit = $("calibration-unit").value;
  const parent = unitParent(unit);
  $("escalation-choices").replaceChildren(...unique("blockers").map((item) => el("div", { className: "escalation-choice", "data-kr-id": item.kr_id },
    el("label", { className: "inline" }, el("input", { type: "checkbox", name: "escalate", "data-kr-id": item.kr_id }), ` ${t("escalate_to")} `),
    el("input", { name: "escalate_to", value: parent || unit, maxlength: 128, "aria-label": t("escalate_to") }),
    el("span", { className: "meta", text: ` ${item.title}: ${reasonText(item.detail || "")}` }),
    el("input", { name: "escalate_note", maxlength: 1000, placeholder: t("escalate_note"), "aria-label": t("escalate_note") }))));
  renderWeights(unit);
}

function unitParent(unit) {
  return (state.board.unit_parents || {})[unit] || null;
}

function renderWeights(unit) {
  // The third question: the weights of the objectives owned in the unit, editable in place.
  const titles = new Map(state.board.krs.map((kr) => [kr.kr_id, kr.title]));
  const objectives = state.board.objectives.filter((o) => o.owner_unit_id === unit || (unit === state.me.unit_id && o.mine));
  $("weights").replaceChildren(...objectives.filter((o) => Object.keys(o.kr_weights || {}).length).map((o) =>
    el("fieldset", { className: "weights", "data-objective-id": o.objective_id },
      el("legend", { text: o.title }),
      ...Object.entries(o.kr_weights).map(([kr, weight]) => el("label", { className: "inline" },
        el("span", { text: titles.get(kr) || kr }),
        el("input", { name: "weight", "data-kr-id": kr, "data-before": weight, value: weight, inputmode: "decimal", maxlength: 8 }))))));
}

function outcomesBody(form) {
  const verdicts = [...form.querySelectorAll("select[name=verdict]")]
    .filter((s) => s.value).map((s) => ({ kr_id: s.dataset.krId, health: s.value }));
  const weight_changes = [...form.querySelectorAll("fieldset.weights")].flatMap((set) => {
    const inputs = [...set.querySelectorAll("input[name=weight]")];
    if (inputs.every((i) => Number(i.value) === Number(i.dataset.before))) return [];
    return [{ objective_id: set.dataset.objectiveId, weights: Object.fromEntries(inputs.map((i) => [i.dataset.krId, i.value.trim()])) }];
  });
  const escalations = [...form.querySelectorAll(".escalation-choice")]
    .filter((row) => row.querySelector("input[name=escalate]").checked)
    .map((row) => ({ kr_id: row.dataset.krId, to_unit_id: row.querySelector("input[name=escalate_to]").value.trim(), note: row.querySelector("input[name=escalate_note]").value }));
  const decisions = form.decisions.value.split("\n").map((line) => line.trim()).filter(Boolean);
  return { verdicts, weight_changes, escalations, decisions };
}

async function submitMeeting(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".error");
  error.textContent = "";
  const unit = $("calibration-unit").value;
  let meeting = $("meeting").value;
  try {
    if (!meeting) {
      meeting = `cal-${unit}-${state.board.cycle.cycle_id}-${Date.now().toString(36)}`;
      await api("/v1/okr/calibration/meetings", {
        method: "POST", key: `schedule-${meeting}`,
        body: { meeting_id: meeting, unit_id: unit, cycle_id: state.board.cycle.cycle_id, starts_at: new Date().toISOString() },
      });
    }
    const outcomes = outcomesBody(form);
    await api(`/v1/okr/calibration/meetings/${encodeURIComponent(meeting)}/outcomes`, {
      method: "POST", key: `outcomes-${meeting}`, body: outcomes,
    });
    notice(t("outcomes_saved"));
    form.decisions.value = "";
    await showMinutes(meeting, outcomes.weight_changes.map((w) => w.objective_id));
    await loadBoard();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function showMinutes(meeting, reweighted = []) {
  // The minutes are a read model: they appear once the worker has applied the outcomes. The
  // weight changes are events of other streams (the objectives'), applied on their own: wait
  // for the ones this meeting made too (at the last attempt, show what there is).
  for (let attempt = 0; attempt < 40; attempt += 1) {
    try {
      const minutes = await api(`/v1/okr/calibration/meetings/${encodeURIComponent(meeting)}`);
      const changed = new Set(minutes.changes.map((c) => c.subject_id));
      const complete = reweighted.every((objective) => changed.has(objective)) || attempt === 39;
      if (minutes.concluded_at && complete) {
        $("minutes").replaceChildren(
          el("h3", { text: `${t("minutes")} · ${minutes.meeting_id}` }),
          el("ul", {},
            ...minutes.decisions.map((d) => el("li", { className: "decision", text: d })),
            ...minutes.escalations.map((e) => el("li", { className: "escalated", "data-kr-id": e.kr_id, text: `${t("escalate_to")} ${e.to_unit_id}: ${e.kr_id} ${e.note || ""}` })),
            ...minutes.changes.map((c) => el("li", { className: "change", "data-subject": c.subject_id, text: changeText(c) }))));
        return;
      }
    } catch (error) {
      if (error.status !== 404) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function changeText(change) {
  // A weight change as "KR: before% → after%" per KR; a verdict as its colour.
  const titles = new Map(state.board.krs.map((kr) => [kr.kr_id, kr.title]));
  if (change.kind !== "weights") return `${titles.get(change.subject_id) || change.subject_id}: ${t(change.after)} ${change.note || ""}`;
  const before = change.before || {};
  const parts = Object.entries(change.after).map(([kr, weight]) =>
    `${titles.get(kr) || kr} ${before[kr] === undefined ? "—" : number(before[kr])}% → ${number(weight)}%`);
  const objective = state.board.objectives.find((o) => o.objective_id === change.subject_id);
  return `${t("weight")} · ${objective ? objective.title : change.subject_id}: ${parts.join("; ")}`;
}

// ---- escalations, practices, cleanup, proposals --------------------------------------------

async function renderEscalations() {
  let items = [];
  try {
    items = await api("/v1/okr/escalations");
  } catch (error) {
    items = [];
  }
  $("escalations-panel").hidden = !items.length && !["manager", "hq_admin"].includes(state.me.role);
  $("escalations").replaceChildren(...(items.length ? items.map(escalationItem) : [el("p", { text: t("nothing_here") })]));
}

function escalationItem(item) {
  const note = el("input", { name: "note", maxlength: 2000, "aria-label": t("resolution") });
  const error = el("p", { className: "error", role: "alert" });
  const answer = async (verb) => {
    error.textContent = "";
    try {
      await api(`/v1/okr/escalations/${encodeURIComponent(item.escalation_id)}/${verb}`, {
        method: "POST", key: `${verb}-${item.escalation_id}`, body: { note: note.value },
      });
      notice(t(verb === "resolve" ? "resolved" : "acknowledged"));
      setTimeout(renderEscalations, 800);
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  const status = item.acknowledged_at ? t("acknowledged") : item.overdue ? t("overdue") : `${t("due")} ${ago(item.due_at)}`;
  return el("div", { className: `inbox-item escalation${item.overdue ? " overdue" : ""}`, "data-escalation-id": item.escalation_id, "data-kr-id": item.kr_id },
    el("div", { className: "title", text: item.kr_title || item.kr_id }),
    el("div", { className: "meta", text: `${t("raised_by")} ${item.raised_by} · ${status}` }),
    el("div", { text: item.note }),
    el("label", {}, el("span", { text: t("resolution") }), note),
    el("div", { className: "buttons" },
      item.acknowledged_at ? null : el("button", { type: "button", className: "secondary acknowledge", text: t("acknowledge"), onclick: () => answer("acknowledge") }),
      el("button", { type: "button", className: "resolve", text: t("resolve"), onclick: () => answer("resolve") })),
    error);
}

async function searchPractices() {
  const words = $("practice-q").value.trim();
  const query = new URLSearchParams();
  if (words) query.set(words.startsWith("#") ? "tag" : "q", words.replace(/^#/, ""));
  let found = [];
  try {
    found = await api(`/v1/okr/practices?${query}`);
  } catch (error) {
    $("practices").replaceChildren(el("p", { className: "error", text: error.message }));
    return;
  }
  $("practices").replaceChildren(...(found.length ? found.map(practiceItem) : [el("p", { text: t("nothing_here") })]));
}

function practiceItem(p) {
  const error = el("p", { className: "error", role: "alert" });
  const adopt = async () => {
    error.textContent = "";
    try {
      await api(`/v1/okr/practices/${encodeURIComponent(p.practice_id)}/adopt`, {
        method: "POST", key: `adopt-${p.practice_id}-${state.me.unit_id}`, body: { unit_id: state.me.unit_id },
      });
      notice(t("adopted"));
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  const figure = p.metric ? ` · ${p.metric} ${number(p.figure)}${p.figure_unit || ""}` : "";
  return el("div", { className: "inbox-item practice", "data-practice-id": p.practice_id },
    el("div", { className: "title", text: p.title }),
    el("div", { className: "meta", text: `${p.unit_id}${figure} · ${t("adopters")} ${p.adopters} · ${(p.tags || []).map((tag) => "#" + tag).join(" ")}` }),
    el("div", { text: p.description }),
    state.me.role === "auditor" ? null : el("div", { className: "buttons" }, el("button", { type: "button", className: "secondary adopt", text: t("adopt"), onclick: adopt })),
    error);
}

async function renderCleanup() {
  let found = null;
  try {
    found = await api("/v1/okr/cleanup");
  } catch (error) {
    found = null;
  }
  const tasks = found ? found.tasks : [];
  $("cleanup-panel").hidden = !tasks.length;
  const titles = new Map(state.board.objectives.map((o) => [o.objective_id, o.title]));
  $("cleanup").replaceChildren(...tasks.map((task) => el("div", { className: `inbox-item cleanup-task${task.done ? " done" : ""}`, "data-owner": task.owner_person_id },
    el("div", { className: "title", text: t("cleanup_task", { owner: task.owner_person_id, n: task.active_now, start: task.active_at_start }) + (task.done ? ` · ${t("cleanup_done")}` : "") }),
    task.done || task.owner_person_id !== state.me.person_id ? null : el("ul", {}, ...task.objective_ids.map((id) => el("li", { "data-objective-id": id },
      `${titles.get(id) || id} `, task.to_close.includes(id) ? el("span", { className: "meta", text: `${t("cleanup_to_close")} ` }) : null,
      el("button", { type: "button", className: "secondary close-objective", text: t("close_objective"), onclick: () => closeObjective(id, found.cycle_id) })))))));
}

async function closeObjective(objectiveId, cycleId) {
  const objective = state.board.objectives.find((o) => o.objective_id === objectiveId);
  try {
    await api(`/v1/okr/objectives/${encodeURIComponent(objectiveId)}/close`, {
      method: "POST", key: `close-${objectiveId}`,
      body: { owner_person_id: state.me.person_id, cycle_id: objective ? objective.cycle_id : cycleId, outcome: "dropped" },
    });
    notice(t("closed"));
    await loadBoard();
  } catch (failure) {
    notice(failure.message);
  }
}

async function renderProposals() {
  const hq = state.me.role === "hq_admin";
  let pending = [];
  if (hq || state.me.role === "hrbp") {
    try {
      pending = await api("/v1/okr/proposals?status=pending");
    } catch (error) {
      pending = [];
    }
  }
  const hrbp = state.me.role === "hrbp";
  $("proposals-panel").hidden = !pending.length && !hrbp;
  $("proposal-form").hidden = !hrbp;
  if (hrbp) renderProposalUnits();
  $("proposals").replaceChildren(...pending.map((p) => {
    const note = el("input", { name: "note", maxlength: 2000, "aria-label": t("decision_note") });
    const error = el("p", { className: "error", role: "alert" });
    const decide = async (verb) => {
      try {
        const body = verb === "approve" ? { note: note.value } : { reason: note.value };
        await api(`/v1/okr/proposals/${encodeURIComponent(p.proposal_id)}/${verb}`, { method: "POST", key: `${verb}-${p.proposal_id}`, body });
        notice(t(verb === "approve" ? "proposal_approved" : "proposal_rejected"));
        setTimeout(renderProposals, 800);
      } catch (failure) {
        error.textContent = failure.message;
      }
    };
    return el("div", { className: "inbox-item proposal", "data-proposal-id": p.proposal_id },
      el("div", { className: "title", text: p.title }),
      el("div", { className: "meta", text: `${p.goal_id} · ${p.owner_unit_id} · ${t("region")} ${p.region_id || "—"} · ${t("proposed_by")} ${p.proposed_by}` }),
      hq ? el("label", {}, el("span", { text: t("decision_note") }), note) : null,
      hq ? el("div", { className: "buttons" },
        el("button", { type: "button", className: "approve", text: t("approve"), onclick: () => decide("approve") }),
        el("button", { type: "button", className: "secondary reject", text: t("reject"), onclick: () => decide("reject") })) : null,
      error);
  }));
}

function renderProposalUnits() {
  // The units of the HRBP's part of the tree below their own, each with a person owning KRs there.
  const select = $("proposal-form").owner_unit_id;
  const chosen = select.value;
  const units = Object.keys(state.board.unit_parents || {}).filter((u) => u !== state.me.unit_id).sort();
  select.replaceChildren(...units.map((u) => el("option", { value: u, text: u })));
  if (units.includes(chosen)) select.value = chosen;
  suggestOwner();
}

function suggestOwner() {
  const form = $("proposal-form");
  const owner = state.board.krs.find((kr) => kr.owner_unit_id === form.owner_unit_id.value);
  if (owner && !form.owner_person_id.value) form.owner_person_id.value = owner.owner_person_id;
}

async function submitProposal(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".error");
  error.textContent = "";
  const stamp = Date.now().toString(36);
  try {
    await api("/v1/okr/proposals/key-results", {
      method: "POST", key: `proposal-${stamp}`,
      body: {
        proposal_id: `proposal-${form.owner_unit_id.value}-${stamp}`, kr_id: `kr-${form.owner_unit_id.value}-${stamp}`,
        title: form.kr_title.value, owner_person_id: form.owner_person_id.value.trim(),
        owner_unit_id: form.owner_unit_id.value, kind: "increase", unit: form.kr_unit.value.trim(),
        start: form.kr_start.value.trim(), target: form.kr_target.value.trim(),
      },
    });
    form.kr_title.value = "";
    notice(t("proposed"));
    setTimeout(renderProposals, 800);
  } catch (failure) {
    error.textContent = failure.message;
  }
}

function renderPracticeForm() {
  const form = $("practice-form");
  $("publish-practice").hidden = state.me.role === "auditor";
  const mine = state.board.krs.filter((kr) => kr.relation === "mine");
  form.kr_id.replaceChildren(...mine.map((kr) => el("option", { value: kr.kr_id, text: kr.title })));
  if (!form.metric.options.length) {  // the sales metrics the KR form offers
    const metrics = [...$("kr-form").kr_metric.options].map((o) => o.value).filter(Boolean);
    form.metric.replaceChildren(el("option", { value: "", text: "—" }), ...metrics.map((m) => el("option", { value: m, text: m })));
  }
}

async function submitPractice(event) {
  event.preventDefault();
  const form = event.target;
  const error = form.querySelector(".error");
  error.textContent = "";
  const id = `practice-${state.me.unit_id}-${Date.now().toString(36)}`;
  const figure = form.figure.value.trim();
  const tags = form.tags.value.split(/\s+/).map((tag) => tag.replace(/^#/, "")).filter(Boolean);
  try {
    await api("/v1/okr/practices", {
      method: "POST", key: id,
      body: {
        practice_id: id, kr_id: form.kr_id.value, unit_id: state.me.unit_id, title: form.practice_title.value,
        description: form.description.value, evidence: form.evidence.value, tags,
        ...(figure ? { figure } : {}), ...(form.metric.value ? { metric: form.metric.value } : {}),
      },
    });
    form.reset();
    notice(t("published"));
    setTimeout(searchPractices, 800);
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function renderOps() {
  // The few figures an operator needs, from the API's own /metrics (the same numbers Prometheus
  // scrapes and alerts on).
  $("ops-panel").hidden = state.me.role !== "hq_admin";
  if ($("ops-panel").hidden) return;
  let text = "";
  try {
    text = await (await fetch("/metrics", { credentials: "same-origin" })).text();
  } catch (error) {
    return;
  }
  // OpenMetrics lines `name{labels} value`: the values of `name` whose labels contain `having`
  const values = (name, having = "") => text.split("\n")
    .filter((line) => (line.startsWith(name + " ") || line.startsWith(name + "{")) && line.includes(having))
    .map((line) => Number(line.split(" ").pop()));
  const sum = (name, having) => values(name, having).reduce((total, value) => total + value, 0);
  const figures = [
    ["ops_lag", sum("northstar_consumer_lag_records", 'consumer="sales"')],
    ["ops_freshness", Math.max(0, ...values("northstar_sales_last_batch_freshness_seconds"))],
    ["ops_okr_lag", sum("northstar_consumer_lag_records", 'consumer="okr"')],
    ["ops_backlog", sum("northstar_outbox_backlog_events")],
    ["ops_oldest", sum("northstar_outbox_oldest_age_seconds")],
    ["ops_parked", sum("northstar_parked_streams")],
    ["ops_restarts", sum("northstar_process_restarts")],
  ];
  $("ops").replaceChildren(...figures.flatMap(([key, value]) => [
    el("dt", { text: t(key) }), el("dd", { "data-metric": key, text: number(value) })]));
}

// ---- scorecards: the viewer's own KRs, and a manager's (HQ's: the company's) whole unit -------
async function renderScorecards() {
  const me = state.me;
  const wanted = [];
  if (me.person_id) wanted.push([t("my_scorecard"), `/v1/okr/scorecards/people/${encodeURIComponent(me.person_id)}`]);
  if ((me.role === "manager" || me.role === "hq_admin") && me.unit_id) {
    wanted.push([t("team_scorecard", { unit: me.unit_id }), `/v1/okr/scorecards/units/${encodeURIComponent(me.unit_id)}`]);
  }
  const cards = [];
  for (const [title, path] of wanted) {
    try {
      const card = await api(path);
      if (card.krs) cards.push([title, card]);
    } catch (error) {
      // no cycle running, or not readable: no card
    }
  }
  $("scorecard-panel").hidden = !cards.length;
  $("scorecards").replaceChildren(...cards.map(([title, card]) => scorecardView(title, card)));
}

function scorecardView(title, card) {
  const colours = ["green", "amber", "red"];
  const weekBar = (point) => {
    const total = colours.concat("none").reduce((sum, c) => sum + point[c], 0) || 1;
    const bar = el("div", { className: "week", title: point.week_ending });
    for (const c of colours.concat("none")) {
      const part = el("div", { className: c });
      part.style.height = `${(100 * point[c]) / total}%`;
      bar.append(part);
    }
    return bar;
  };
  const weakest = card.weakest && Number(card.weakest.behind_by) > 0
    ? el("p", { className: "weakest", "data-kr": card.weakest.kr_id,
      text: t("weakest", { title: card.weakest.title, points: number(card.weakest.behind_by) }) })
    : null;
  return el("article", { className: "scorecard", "data-subject": card.unit_id || card.person_id },
    el("h3", { text: title }),
    el("p", { text: t("krs_count", { n: card.krs }) }),
    el("div", { className: "counts" }, ...colours.map((c) => el("span", { className: `badge ${c}`, "data-health": c, "data-count": card.health[c].count,
      text: `${t(c)} ${card.health[c].count} (${number(100 * card.health[c].share)}%)` }))),
    weakest,
    el("div", { className: "trend" }, ...card.trend.map(weekBar)));
}

// ---- certification: suggested by the evaluation, nominated by a manager, granted by HQ -------
async function renderCertifications() {
  let rows = [];
  let projects = [];
  try {
    rows = await api("/v1/okr/certifications");
    if (state.me.role === "hq_admin" && rows.some((r) => r.status === "nominated")) {
      projects = await api("/v1/okr/strategic-projects");
    }
  } catch (error) {
    rows = [];
  }
  $("certifications-panel").hidden = !rows.length;
  $("certifications").replaceChildren(...rows.map((row) => certificationView(row, projects)));
}

function certificationView(row, projects) {
  const cycle = row.cycle_ids[1];
  const error = el("p", { className: "error", role: "alert" });
  const note = el("input", { name: "note", maxlength: 2000, "aria-label": t("cert_note") });
  const act = async (verb, body) => {
    try {
      await api(`/v1/okr/certifications/${encodeURIComponent(row.person_id)}/${encodeURIComponent(cycle)}/${verb}`,
        { method: "POST", key: `${verb}-${row.person_id}-${cycle}`, body });
      notice(t(verb === "nominate" ? "nominated" : "granted"));
      setTimeout(renderCertifications, 800);
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  let controls = null;
  if (row.status === "suggested" && state.me.role === "manager") {
    controls = el("div", { className: "buttons" }, el("label", {}, el("span", { text: t("cert_note") }), note),
      el("button", { type: "button", className: "nominate", text: t("nominate"), onclick: () => act("nominate", { note: note.value }) }));
  } else if (row.status === "nominated" && state.me.role === "hq_admin") {
    const choices = projects.map((p) => el("label", { className: "choice" },
      el("input", { type: "checkbox", name: "project", value: p.project_id }), ` ${p.title}`));
    const chosen = () => choices.map((c) => c.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    controls = el("div", {}, el("p", { text: t("cert_projects") }), ...choices,
      el("label", {}, el("span", { text: t("cert_note") }), note),
      el("button", { type: "button", className: "grant", text: t("grant"),
        onclick: () => act("grant", { recommended_projects: chosen(), note: note.value }) }));
  }
  return el("div", { className: "inbox-item certification", "data-person": row.person_id, "data-status": row.status },
    el("div", { className: "title", text: `${row.person_id} · ${t(`cert_status_${row.status}`)}` }),
    el("div", { className: "meta", text: t("cert_cycles", { a: row.cycle_ids[0], b: row.cycle_ids[1] }) +
      (row.recommended_projects.length ? ` · ${row.recommended_projects.join(", ")}` : "") }),
    controls, error);
}

function renderLoop() {
  renderCertifications();
  renderScorecards();
  renderGoalForms();
  renderEscalations();
  renderCleanup();
  renderProposals();
  renderPracticeForm();
  renderOps();
  if (!$("practices-panel").dataset.loaded) {
    $("practices-panel").dataset.loaded = "1";
    searchPractices();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("objective-form").addEventListener("submit", submitObjective);
  $("kr-form").addEventListener("submit", submitKr);
  $("align-form").addEventListener("submit", submitAlign);
  $("align-form").objective.addEventListener("change", () => {
    const form = $("align-form");
    form.parent.replaceChildren(...parentOptions(form.objective.value));
  });
  $("kr-form").dataset.key = crypto.randomUUID();
  liveHints($("objective-form").objective_title, $("objective-form").querySelector(".hints"));
  liveHints($("kr-form").kr_description, $("kr-form").querySelector(".hints"));
  $("practice-q").addEventListener("change", searchPractices);
  $("practice-form").addEventListener("submit", submitPractice);
  $("proposal-form").addEventListener("submit", submitProposal);
  $("proposal-form").owner_unit_id.addEventListener("change", () => { $("proposal-form").owner_person_id.value = ""; suggestOwner(); });
  liveHints($("proposal-form").kr_title, $("proposal-form").querySelector(".hints"));
  $("outcomes-form").addEventListener("submit", submitMeeting);
});
