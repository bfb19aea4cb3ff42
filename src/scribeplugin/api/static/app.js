// scribeplugin note view: paste a transcript, see the codes with their evidence highlighted,
// then the documentation prompts that would change them, then the warnings about the codes on
// screen; "Add to note", "Not relevant", "Use another code…" post feedback.
// Plain browser JavaScript, no build step, nothing loaded from elsewhere. Every text from the
// transcript, the answer or the server is inserted as a text node, never as HTML.
//
// The answer on screen always belongs to the transcript on screen: an edit, a file or sample
// load, a new date of service or a failed request removes it at once and says why, and an
// answer that arrives for text that has changed since is dropped.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SECTIONS = ["chief_complaint", "hpi", "ros", "exam", "imaging", "assessment", "plan"];
  const SECTION_TITLES = {
    chief_complaint: "Chief complaint", hpi: "History of present illness",
    ros: "Review of systems", exam: "Examination", imaging: "Imaging",
    assessment: "Assessment", plan: "Plan",
  };
  const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };
  const SEVERITY_LABEL = { critical: "critical", warning: "important" };
  const PALETTE = 6;
  const NOT_RELEVANT = "Not relevant to this visit";

  // generation: bumped whenever the answer on screen stops matching the transcript on screen;
  // a request or a feedback call of an older generation has nothing left to update.
  const state = { generation: 0, shown: false, inFlight: false };
  let loadedSegments = null; // segments from a .json file, while the textarea still shows them
  let loadedSource = null;

  // -- helpers ------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const plural = (n, one, many) => n + " " + (n === 1 ? one : many || one + "s");
  const clip = (text, n) => (text.length > n ? text.slice(0, n - 1).trimEnd() + "…" : text);
  const spanKey = (e) => e.start + "-" + e.end;

  function adminDetails(lines, label) {
    const shown = (lines || []).filter(Boolean);
    if (!shown.length) return null;
    return el("details", { class: "admin" },
      el("summary", {}, label || "Details for your administrator"),
      el("ul", {}, shown.map((l) => el("li", {}, l))));
  }

  // kind: "" | "working" | "ok" | "stale" | "error"
  function setStatus(kind, text, details) {
    const s = $("status");
    s.className = kind || "";
    s.replaceChildren(...[el("span", { class: "status-text" }, text), adminDetails(details)].filter(Boolean));
  }

  function announce(text) {
    $("announce").textContent = text;
  }

  function headers() {
    const h = { "content-type": "application/json" };
    const key = $("apikey").value.trim();
    if (key) h.authorization = "Bearer " + key;
    return h;
  }

  class RequestError extends Error {
    constructor(status, body, requestId, cause) {
      super("HTTP " + status);
      this.status = status; // 0: no answer at all
      this.body = body;
      this.requestId = requestId;
      this.cause = cause;
    }
  }

  async function post(path, body) {
    let r;
    try {
      r = await fetch(path, { method: "POST", headers: headers(), body: JSON.stringify(body) });
    } catch (e) {
      throw new RequestError(0, null, null, e.message);
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) throw new RequestError(r.status, data, r.headers.get("x-request-id"));
    return data;
  }

  // A failed call in words for the clinician; the server's own message (settings, commands,
  // status codes, request id) goes to the administrator's details.
  function explain(err, purpose) {
    const e = (err.body && err.body.error) || {};
    const msg = e.message || "";
    const saving = purpose === "feedback";
    // a saving failure reads "Your choice was not saved: the coding service …"
    const say = (t) => (saving ? "Your choice was not saved: " + t.charAt(0).toLowerCase() + t.slice(1) : t);
    const again = " Try again; if it happens again, tell your administrator.";
    let text;
    switch (err.status) {
      case 0:
        text = say("The coding service could not be reached. Check the network connection and try again.");
        break;
      case 401:
        text = say($("apikey").value.trim()
          ? "The API key entered was not accepted. Check it and try again."
          : "The coding service needs your clinic's API key. Enter it in the API key field and try again.");
        break;
      case 403:
        text = say("This answer was made for another clinic's key.");
        break;
      case 404:
        text = say("This answer is no longer on record. Suggest codes again, then choose again.");
        break;
      case 413:
        text = "This transcript is longer than the coding service accepts. Send one visit at a time, or remove text that is not part of the visit.";
        break;
      case 400: case 415: case 422:
        if (saving) text = say("The coding service did not accept it." + again);
        else if (e.type === "not_configured") text = "The coding service is not set up for this request. Tell your administrator.";
        else if (/empty/i.test(msg)) text = "The transcript is empty. Paste or load the visit first.";
        else if (/control character|binary|surrogate|utf-8|not text/i.test(msg)) {
          text = "The transcript contains characters that are not text (as when a file is pasted). Paste the visit as plain text.";
        } else text = "The transcript could not be used as it is. Paste the visit as plain text and try again.";
        break;
      case 429:
        text = say("The coding service is busy. Try again in a moment.");
        break;
      case 503:
        text = saving
          ? say("The coding service is not available at the moment. Try again in a few minutes.")
          : "Code suggestions are not available at the moment (the service is starting or being updated). Try again in a few minutes; if it lasts, tell your administrator.";
        break;
      case 504:
        text = saving
          ? say("The coding service took too long." + again)
          : "The coding service took too long on this transcript, so no codes were suggested." + again;
        break;
      default:
        text = saving
          ? say("Something went wrong in the coding service." + again)
          : "Something went wrong in the coding service, so no codes were suggested." + again;
    }
    const details = [
      err.status ? "HTTP " + err.status + (e.type ? " (" + e.type + ")" : "")
        : "No answer from the server" + (err.cause ? ": " + err.cause : ""),
      msg,
      e.fix ? "Fix: " + e.fix : null,
      err.requestId ? "Request " + err.requestId : null,
    ];
    return { text, details };
  }

  // Notices are written for whoever runs the service; the clinician gets what it means for
  // this visit, the rest goes behind "details".
  function clinicalNotice(n) {
    let m = /^Date of service (\S+) falls in (FY\d{4}), but the code set in use is .+?, valid through (\d{4}-\d{2}-\d{2})\./.exec(n);
    if (m) {
      return {
        text: "This visit (" + m[1] + ") falls in " + m[2] + ", after the code set in use (valid through " +
          m[3] + "). Codes may have changed since: check these suggestions against the current ICD-10-CM.",
        details: [n],
      };
    }
    m = /^Date of service (\S+) is before .+? took effect \((\S+)\)/.exec(n);
    if (m) {
      return {
        text: "This visit (" + m[1] + ") is before the code set in use took effect (" + m[2] +
          "): the codes valid on the day of the visit may differ.",
        details: [n],
      };
    }
    const sentences = n.split(/(?<=\.)\s+/);
    const forAdmin = (s) => /SCRIBE_|scribeplugin |index|rebuild|HTTP|\b[45]\d\d\b/i.test(s);
    const plain = sentences.filter((s) => !forAdmin(s));
    return {
      text: plain.join(" ") || "A note about the code set in use.",
      details: plain.length === sentences.length ? [] : [n],
    };
  }

  // The text the server's offsets index: the input itself, or "Speaker: text" lines for
  // segments (as scribeplugin.extract.transcript builds it).
  function canonicalOfSegments(segments) {
    const lines = [];
    for (const seg of segments) {
      const label = String(seg.speaker || "").split(/\s+/).filter(Boolean).join(" ");
      const text = String(seg.text || "").trim();
      if (!text) continue;
      lines.push((label ? label + ": " : "") + text);
    }
    return lines.join("\n");
  }

  // -- the answer on screen belongs to the transcript on screen ------------------------------

  function clearResults() {
    for (const id of ["highlighted", "notices", "codes", "prompts", "warnings", "why-not", "engine"]) {
      $(id).replaceChildren();
    }
    $("results").hidden = true;
    $("results").removeAttribute("data-request-id");
    $("about").open = false;
    state.shown = false;
  }

  function setBusy(busy) {
    state.inFlight = busy;
    $("suggest").disabled = busy;
    $("results").setAttribute("aria-busy", busy ? "true" : "false");
  }

  // Remove the answer (or drop the one on its way) because the input changed; say so when
  // there was one. Returns whether there was.
  function invalidate(reason) {
    const had = state.shown || state.inFlight;
    state.generation++;
    clearResults();
    setBusy(false);
    if (had && reason) setStatus("stale", reason);
    return had;
  }

  // -- highlighting -------------------------------------------------------------------------

  // spans: [{start, end, key, code?, color?}] in code points. Overlaps are split into pieces
  // that name every span covering them; code evidence is coloured by code, quotes of prompts
  // and warnings are underlined.
  function renderHighlighted(text, spans) {
    const pre = $("highlighted");
    pre.replaceChildren();
    const chars = Array.from(text);
    const cuts = new Set([0, chars.length]);
    for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
    const points = [...cuts].filter((p) => p >= 0 && p <= chars.length).sort((a, b) => a - b);
    for (let i = 0; i < points.length - 1; i++) {
      const a = points[i], b = points[i + 1];
      const piece = chars.slice(a, b).join("");
      const covering = spans.filter((s) => s.start <= a && s.end >= b);
      if (!covering.length) { pre.append(piece); continue; }
      const coded = covering.filter((s) => s.code);
      const codes = [...new Set(coded.map((s) => s.code))];
      pre.append(el("mark", {
        class: coded.length ? "evidence c" + coded[0].color : "quote",
        title: codes.length ? "evidence for " + codes.join(", ") : "quoted by a documentation prompt",
        "data-codes": codes.length ? codes.join(" ") : null,
        "data-keys": [...new Set(covering.map((s) => s.key))].join(" "),
        "data-start": a,
      }, piece));
    }
  }

  // Scroll the transcript panel (not the page) to the first piece of these spans and flash
  // them all. Returns false when none of them is in the transcript.
  function showEvidence(keys, what) {
    const pre = $("highlighted");
    const wanted = new Set(keys);
    const marks = [...pre.querySelectorAll("mark")].filter(
      (m) => (m.dataset.keys || "").split(" ").some((k) => wanted.has(k)));
    if (!marks.length) return false;
    const smooth = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
    const pr = pre.getBoundingClientRect();
    if (pr.top < 0 || pr.bottom > window.innerHeight) pre.scrollIntoView({ block: "nearest", behavior: smooth });
    const mr = marks[0].getBoundingClientRect();
    const top = pre.scrollTop + (mr.top - pr.top) - (pre.clientHeight - mr.height) / 2;
    pre.scrollTo({ top: Math.max(0, top), behavior: smooth });
    for (const m of pre.querySelectorAll("mark.flash")) m.classList.remove("flash");
    void pre.offsetWidth; // restart the animation when the same evidence is asked for again
    for (const m of marks) m.classList.add("flash");
    setTimeout(() => { for (const m of marks) m.classList.remove("flash"); }, 2000);
    announce("Evidence " + (what ? "for " + what + " " : "") + "highlighted in the transcript.");
    return true;
  }

  // Mouse users may click anywhere on a card; keyboard users have its buttons.
  function clickToShow(item, keys, what) {
    item.addEventListener("click", (ev) => {
      if (ev.target.closest("button, a, input, select, textarea, summary, details, label")) return;
      if (window.getSelection && String(window.getSelection())) return; // selecting text
      showEvidence(keys, what);
    });
  }

  function quoteList(evidence, what, label) {
    if (!evidence || !evidence.length) return null;
    return el("div", { class: "quotes" }, label ? el("span", { class: "muted small" }, label) : null,
      evidence.map((e) => el("button", {
        type: "button", class: "quote-link",
        "aria-label": "Show “" + clip(e.text, 60) + "” in the transcript",
        onclick: () => showEvidence([spanKey(e)], what),
      }, "“" + e.text + "”", el("span", { class: "speaker" }, e.speaker && e.speaker !== "unknown" ? e.speaker : null))));
  }

  // -- guidance -----------------------------------------------------------------------------

  // A citation's text: "CODE Title" then the item ("Documentation tip: …") for a card item,
  // or then inclusion terms and notes for a tabular entry.
  function guidanceOf(c) {
    const lines = String(c.text || "").split("\n").map((s) => s.trim()).filter(Boolean);
    const ref = String(c.ref || "");
    if (!lines.length) return { kind: null, text: ref, more: [] };
    if (ref.startsWith("tabular:")) {
      const code = ref.slice("tabular:".length);
      const title = lines[0].startsWith(code + " ") ? lines[0].slice(code.length + 1) : lines[0];
      return { kind: "ICD-10-CM " + code, text: title, more: lines.slice(1) };
    }
    const body = lines.length > 1 ? lines.slice(1).join(" ") : lines[0];
    const m = /^(Documentation tip|Pitfall|Clinical context|FAQ|Question|Answer):\s*(.*)$/.exec(body);
    if (m) return { kind: m[1], text: m[2], more: [] };
    return { kind: ref.endsWith("/summary") ? "Summary" : null, text: body, more: [] };
  }

  function guidance(citations) {
    if (!citations || !citations.length) return null;
    return el("details", { class: "guidance" },
      el("summary", {}, "Guidance (" + citations.length + ")"),
      el("ul", {}, citations.map((c) => {
        const g = guidanceOf(c);
        return el("li", { "data-ref": c.ref },
          g.kind ? el("span", { class: "gkind" }, g.kind + ": ") : null,
          el("span", { class: "gtext" }, g.text),
          g.more.length ? el("div", { class: "muted small" }, g.more.join(" · ")) : null,
          el("div", { class: "gref" }, c.ref));
      })));
  }

  // -- feedback -----------------------------------------------------------------------------

  // actions: [{label, aria, outcome, reason?, decided, primary?}]; targetIds: one or more ids
  // (a merged prompt answers for each of the prompts it stands for).
  function feedbackBox(requestId, target, targetIds, actions, override) {
    const gen = state.generation;
    const box = el("div", { class: "actions", "data-target": target, "data-target-id": targetIds.join(" ") });
    const problem = el("div", { class: "inline-error", role: "alert" });

    const done = (text) => {
      const mark = el("span", { class: "decided", "data-testid": "decided", tabindex: "-1" }, text + " ✓");
      box.replaceChildren(mark);
      mark.focus({ preventScroll: true });
    };
    const fail = (err) => {
      const { text, details } = explain(err, "feedback");
      problem.replaceChildren(...[el("span", {}, text), adminDetails(details)].filter(Boolean));
    };
    const saved = new Map(); // target id -> the body stored for it, so a retry stores no twin
    const send = async (body, decided, buttons) => {
      for (const b of buttons) b.disabled = true;
      problem.replaceChildren();
      const key = JSON.stringify(body);
      try {
        for (const id of targetIds) {
          if (saved.get(id) === key) continue;
          await post("/v1/feedback", Object.assign({
            request_id: requestId, target: target, target_id: id, source: "ui",
          }, body));
          saved.set(id, key);
        }
        if (gen === state.generation) done(decided);
      } catch (err) {
        if (gen !== state.generation) return;
        for (const b of buttons) b.disabled = false;
        fail(err);
        return err;
      }
      return null;
    };

    const main = () => {
      const buttons = actions.map((a) => el("button", {
        type: "button", class: a.primary ? "act primary-soft" : "act",
        "data-action": a.action, "aria-label": a.aria,
        onclick: () => send(
          a.reason ? { outcome: a.outcome, reason: a.reason } : { outcome: a.outcome },
          a.decided, box.querySelectorAll("button")),
      }, a.label));
      if (override) {
        buttons.push(el("button", {
          type: "button", class: "act", "data-action": "override", "aria-label": override.aria,
          onclick: () => overrideForm(),
        }, "Use another code…"));
      }
      box.replaceChildren(...buttons, problem);
    };

    const overrideForm = () => {
      const code = el("input", {
        class: "code-input", size: 15, autocomplete: "off", spellcheck: "false",
        "aria-label": "Code to use instead of " + override.code, placeholder: "ICD-10-CM code",
      });
      const reason = el("input", { size: 22, "aria-label": "Why (optional)", placeholder: "why (optional)" });
      const save = el("button", { type: "button", class: "act primary-soft", "data-action": "send" }, "Use this code");
      const cancel = el("button", { type: "button", class: "act", "data-action": "cancel" }, "Cancel");
      const submit = async () => {
        const chosen = code.value.trim().toUpperCase();
        if (!chosen) { problem.replaceChildren("Type the code used instead."); code.focus(); return; }
        const body = { outcome: "overridden", override_code: chosen };
        if (reason.value.trim()) body.reason = reason.value.trim();
        const err = await send(body, "Replaced by " + chosen, [save, cancel]);
        const e = err && err.body && err.body.error;
        if (e && e.type === "unknown_code") {
          problem.replaceChildren("“" + chosen + "” is not a code in the ICD-10-CM code set in use." +
            (e.nearest && e.nearest.length ? " Nearest codes: " + e.nearest.join(", ") + "." : ""));
          code.focus();
        }
      };
      save.addEventListener("click", submit);
      for (const input of [code, reason]) {
        input.addEventListener("keydown", (ev) => {
          if (ev.key === "Enter") { ev.preventDefault(); submit(); }
          if (ev.key === "Escape") { ev.preventDefault(); main(); box.querySelector("[data-action=override]").focus(); }
        });
      }
      cancel.addEventListener("click", () => { main(); box.querySelector("[data-action=override]").focus(); });
      box.replaceChildren(
        el("label", { class: "field" }, "Code used instead", code),
        el("label", { class: "field" }, reason), save, cancel, problem);
      code.focus();
    };

    main();
    return box;
  }

  // -- rendering ----------------------------------------------------------------------------

  // Prompts that ask the same thing of the same code (same text, or the same axis) are one.
  function mergePrompts(prompts) {
    const norm = (t) => String(t).toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
    const groups = [];
    for (const p of prompts) {
      const text = norm(p.text);
      const g = groups.find((q) => q.code === p.code &&
        (q.texts.includes(text) || (p.axis && q.axes.includes(p.axis))));
      if (!g) {
        groups.push({
          ids: [p.id], code: p.code, note_section: p.note_section, text: p.text,
          severity: p.severity, texts: [text], axes: p.axis ? [p.axis] : [],
          options: [...(p.options || [])], evidence: [...(p.evidence || [])],
          citations: [...(p.citations || [])],
        });
        continue;
      }
      g.ids.push(p.id);
      g.texts.push(text);
      if (p.axis && !g.axes.includes(p.axis)) g.axes.push(p.axis);
      if ((SEVERITY_RANK[p.severity] ?? 3) < (SEVERITY_RANK[g.severity] ?? 3)) {
        Object.assign(g, { severity: p.severity, text: p.text, note_section: p.note_section });
      }
      for (const o of p.options || []) if (!g.options.includes(o)) g.options.push(o);
      for (const e of p.evidence || []) if (!g.evidence.some((f) => spanKey(f) === spanKey(e))) g.evidence.push(e);
      for (const c of p.citations || []) if (!g.citations.some((d) => d.chunk_id === c.chunk_id)) g.citations.push(c);
    }
    return groups;
  }

  function renderNotices(res) {
    const notices = res.notices.map(clinicalNotice);
    if (res.engine && res.engine.degraded) {
      notices.push({
        text: "These suggestions come from the built-in coding rules: the language model did not answer in time.",
        details: [res.engine.degraded_reason],
      });
    }
    $("notices").replaceChildren(...notices.map((n) => el("div", { class: "notice", "data-testid": "notice" },
      el("span", {}, n.text), adminDetails(n.details))));
  }

  // "M51.17 (Intervertebral disc …) from the documented …": the title is on the card already.
  function rationaleOf(c) {
    const text = String(c.rationale || "");
    const head = c.code + " (" + c.display + ") ";
    if (!text.startsWith(head)) return text;
    const rest = text.slice(head.length);
    return rest.charAt(0).toUpperCase() + rest.slice(1);
  }

  function renderCodes(res, color, codeKeys) {
    const codes = $("codes");
    if (!res.codes.length) {
      codes.append(el("li", { class: "empty" }, "No code is supported by this transcript."));
      return;
    }
    for (const c of res.codes) {
      const status = c.status === "suggested" ? "suggested" : "needs documentation";
      const item = el("li", { class: "item code-item", "data-testid": "code-" + c.code },
        el("div", { class: "head" },
          el("button", {
            type: "button", class: "title-link", "data-action": "show-evidence",
            "aria-label": "Show the evidence for " + c.code + " in the transcript",
          }, el("span", { class: "swatch c" + color[c.code], "aria-hidden": "true" }),
            el("span", { class: "code" }, c.code), " ", el("span", { class: "display" }, c.display)),
          el("span", { class: "badges" },
            el("span", { class: "badge " + c.status }, status),
            el("span", { class: "badge" }, "confidence " + c.confidence.toFixed(2)),
            c.billable ? null : el("span", { class: "badge warning" }, "not billable"))),
        el("div", { class: "small rationale" }, rationaleOf(c)),
        quoteList(c.evidence, c.code, "Evidence: "),
        guidance(c.citations),
        feedbackBox(res.request_id, "code", [c.code], [
          { action: "accept", label: "Add to note", aria: "Add " + c.code + " to note", outcome: "accepted", decided: "Added to note", primary: true },
          { action: "dismiss", label: "Not relevant", aria: c.code + " not relevant", outcome: "dismissed", reason: NOT_RELEVANT, decided: "Not relevant" },
        ], { code: c.code, aria: "Use another code instead of " + c.code }));
      item.querySelector("[data-action=show-evidence]").addEventListener("click", () => showEvidence(codeKeys[c.code], c.code));
      clickToShow(item, codeKeys[c.code], c.code);
      codes.append(item);
    }
  }

  function renderPrompts(res, codeKeys) {
    const prompts = $("prompts");
    const merged = mergePrompts(res.prompts);
    if (!merged.length) {
      prompts.append(el("p", { class: "empty" }, res.codes.length
        ? "Nothing to add: the transcript supports these codes." : "No documentation prompt."));
      return;
    }
    // The prompts that would change a code (the more pressing ones) before those that only
    // support it; each tier in note order, each prompt labelled with its note section.
    const tiers = [
      ["change", "Would change a code", merged.filter((p) => p.severity !== "info")],
      ["support", "Would support the codes", merged.filter((p) => p.severity === "info")],
    ];
    const noteOrder = (p) => { const i = SECTIONS.indexOf(p.note_section); return i < 0 ? SECTIONS.length : i; };
    for (const [tier, title, list] of tiers) {
      if (!list.length) continue;
      list.sort((a, b) => noteOrder(a) - noteOrder(b));
      prompts.append(el("section", { class: "prompt-tier", "data-tier": tier },
        el("h3", {}, title), el("ul", { class: "items" }, list.map((p) => promptItem(res, p, codeKeys)))));
    }
  }

  function promptItem(res, p, codeKeys) {
    const own = p.evidence.map(spanKey);
    const keys = own.length ? own : (p.code && codeKeys[p.code]) || [];
    const short = clip(p.text, 70);
    const actions = p.options.length
      ? p.options.map((o, i) => ({
        action: "answer-" + i, label: o, aria: "Answer “" + o + "”: " + short, outcome: "accepted",
        reason: "Answer: " + o, decided: "Answered: " + o,
      }))
      : [{ action: "accept", label: "Will document", aria: "Will document: " + short, outcome: "accepted", decided: "Will document", primary: true }];
    actions.push({ action: "dismiss", label: "Not relevant", aria: "Not relevant: " + short, outcome: "dismissed", reason: NOT_RELEVANT, decided: "Not relevant" });
    const item = el("li", {
      class: "item prompt-item severity-" + p.severity, "data-testid": "prompt-" + p.ids[0],
      "data-prompt-ids": p.ids.join(" "), "data-section": p.note_section,
    },
      el("div", { class: "head" },
        el("span", { class: "section-label" }, SECTION_TITLES[p.note_section] || p.note_section),
        SEVERITY_LABEL[p.severity] ? el("span", { class: "badge " + p.severity }, SEVERITY_LABEL[p.severity]) : null,
        p.code && (codeKeys[p.code] || []).length ? el("button", {
          type: "button", class: "code-chip", "data-action": "show-evidence",
          "aria-label": "Show the evidence for " + p.code + " in the transcript",
          onclick: () => showEvidence(codeKeys[p.code], p.code),
        }, p.code) : p.code ? el("span", { class: "code code-chip" }, p.code) : null),
      el("div", { class: "prompt-text" }, p.text),
      quoteList(p.evidence, "this prompt", "Based on: "),
      p.options.length ? el("div", { class: "muted small" }, "Answers the note could give:") : null,
      guidance(p.citations),
      feedbackBox(res.request_id, "prompt", p.ids, actions, null));
    if (keys.length) clickToShow(item, keys, p.code || "this prompt");
    return item;
  }

  // Codes named by a warning; those suggested above say so (not by colour alone).
  function codeChips(codes, onScreen, sayShown) {
    return codes.map((c, i) => [i ? ", " : "", el("span", { class: onScreen.has(c) ? "code on-screen" : "code" }, c),
      sayShown && onScreen.has(c) ? el("span", { class: "muted small" }, " (suggested above)") : null]);
  }

  function renderWarnings(res, onScreen) {
    const shown = res.warnings.filter((w) => !w.codes.length || w.codes.some((c) => onScreen.has(c)));
    const folded = res.warnings.filter((w) => w.codes.length && !w.codes.some((c) => onScreen.has(c)));
    const warnings = $("warnings");
    if (!shown.length) {
      warnings.append(el("li", { class: "empty" }, res.codes.length
        ? "No coding pitfall applies to these codes." : "No coding warning."));
    }
    for (const w of shown) {
      const about = w.codes.join(", ") || "this visit";
      warnings.append(el("li", { class: "item warning", "data-testid": "warning-" + w.rule },
        el("div", { class: "head" }, w.codes.length ? el("span", { class: "muted small" }, "About ", codeChips(w.codes, onScreen)) : null),
        el("div", {}, w.message),
        w.alternatives.length ? el("div", { class: "small" }, "Consider: ", codeChips(w.alternatives, onScreen, true)) : null,
        quoteList(w.evidence, "this warning", "Based on: "),
        guidance(w.citations),
        feedbackBox(res.request_id, "warning", [w.rule], [
          { action: "accept", label: "Agree", aria: "Agree with the warning about " + about, outcome: "accepted", decided: "Agreed" },
          { action: "dismiss", label: "Not relevant", aria: "Warning about " + about + " not relevant", outcome: "dismissed", reason: NOT_RELEVANT, decided: "Not relevant" },
        ], null)));
    }
    // A warning about codes nobody suggested explains why they are not on screen.
    const groups = new Map();
    for (const w of folded) {
      const k = w.codes.join(", ");
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(w);
    }
    const whyNot = $("why-not");
    if (groups.size) whyNot.append(el("h3", {}, "Codes not suggested"));
    for (const [codes, ws] of groups) {
      whyNot.append(el("details", { class: "why-not", "data-testid": "why-not-" + codes.replace(/, /g, "_") },
        el("summary", {}, "Why not " + codes.split(", ").join(" or ") + "?"),
        el("ul", { class: "items" }, ws.map((w) => el("li", { class: "why-item", "data-rule": w.rule },
          el("div", {}, w.message),
          w.alternatives.length ? el("div", { class: "small" }, "Instead: ", codeChips(w.alternatives, onScreen, true)) : null,
          quoteList(w.evidence, "this warning", "Based on: "),
          guidance(w.citations))))));
    }
  }

  function render(res, text) {
    clearResults();
    $("codeset").textContent = res.code_set;
    const color = {};
    res.codes.forEach((c, i) => { color[c.code] = i % PALETTE; });
    const spans = [];
    const codeKeys = {};
    for (const c of res.codes) {
      codeKeys[c.code] = c.evidence.map(spanKey);
      for (const e of c.evidence) spans.push({ start: e.start, end: e.end, key: spanKey(e), code: c.code, color: color[c.code] });
    }
    for (const item of [...res.prompts, ...res.warnings]) {
      for (const e of item.evidence || []) spans.push({ start: e.start, end: e.end, key: spanKey(e) });
    }
    renderHighlighted(text, spans);
    renderNotices(res);
    renderCodes(res, color, codeKeys);
    renderPrompts(res, codeKeys);
    renderWarnings(res, new Set(res.codes.map((c) => c.code)));

    const t = res.timings_ms && res.timings_ms.total;
    $("engine").replaceChildren(
      "Code set " + res.code_set + " · drafter " + res.engine.drafter +
      (res.engine.model ? " (" + res.engine.model + ")" : "") +
      (res.engine.degraded ? " (degraded)" : "") + " · index " + res.engine.index_id +
      (t !== undefined ? " · " + Math.round(t) + " ms" : ""),
      el("br"), "Request ", el("span", { id: "request-id" }, res.request_id));
    $("results").dataset.requestId = res.request_id;
    $("results").hidden = false;
    state.shown = true;
  }

  // -- events -------------------------------------------------------------------------------

  async function suggest() {
    const text = $("transcript").value;
    if (!text.trim()) {
      invalidate(null);
      setStatus("error", "The transcript is empty. Paste or load the visit first.");
      return;
    }
    let transcript = text, shown = text;
    if (loadedSegments && text === loadedSource) {
      transcript = loadedSegments;
      shown = canonicalOfSegments(loadedSegments);
    }
    const body = { transcript: transcript };
    if ($("dos").value) body.context = { date_of_service: $("dos").value };
    const hadAnswer = invalidate(null);
    const gen = state.generation;
    setBusy(true);
    setStatus("working", "Checking the transcript…");
    let res;
    try {
      res = await post("/v1/suggest", body);
    } catch (err) {
      if (gen !== state.generation) return;
      setBusy(false);
      const { text: why, details } = explain(err, "suggest");
      setStatus("error", why + (hadAnswer ? " The suggestions shown before were removed." : ""), details);
      return;
    }
    if (gen !== state.generation) return; // the transcript changed while we waited
    setBusy(false);
    render(res, shown);
    const warned = res.warnings.filter((w) => !w.codes.length || w.codes.some((c) => res.codes.some((s) => s.code === c))).length;
    setStatus("ok", "Suggestions for this transcript: " + plural(res.codes.length, "code") + ", " +
      plural(mergePrompts(res.prompts).length, "documentation prompt") + ", " + plural(warned, "warning") + ".");
  }

  async function loadFile(file) {
    const text = await file.text();
    const had = invalidate(null);
    const cleared = had ? " The suggestions for the previous transcript were removed." : "";
    loadedSegments = null;
    loadedSource = null;
    if (/\.json$/i.test(file.name)) {
      let data;
      try {
        data = JSON.parse(text);
      } catch (e) {
        setStatus("error", file.name + " could not be read as a transcript: it is not valid JSON." + cleared, [e.message]);
        return;
      }
      const segs = Array.isArray(data) ? data : data && data.transcript;
      if (Array.isArray(segs)) {
        loadedSegments = segs;
        loadedSource = canonicalOfSegments(segs);
        $("transcript").value = loadedSource;
        setStatus("stale", "Loaded " + plural(segs.length, "segment") + " from " + file.name + "." + cleared);
        return;
      }
      if (typeof segs === "string") {
        $("transcript").value = segs;
        setStatus("stale", "Loaded " + file.name + "." + cleared);
        return;
      }
    }
    $("transcript").value = text;
    setStatus("stale", "Loaded " + file.name + "." + cleared);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const saved = sessionStorage.getItem("scribeplugin.apikey");
    if (saved) $("apikey").value = saved;
    $("apikey").addEventListener("change", () => sessionStorage.setItem("scribeplugin.apikey", $("apikey").value));
    $("suggest").addEventListener("click", suggest);
    $("transcript").addEventListener("input", () => {
      loadedSegments = loadedSegments && $("transcript").value === loadedSource ? loadedSegments : null;
      invalidate("The transcript was edited, so the suggestions for the earlier text were removed. " +
        "Select Suggest codes to check the new text.");
    });
    $("transcript").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); if (!state.inFlight) suggest(); }
    });
    $("dos").addEventListener("change", () => invalidate(
      "The date of service changed, so the suggestions were removed. Select Suggest codes again."));
    $("load-file").addEventListener("click", () => $("file").click());
    $("file").addEventListener("change", (e) => {
      if (e.target.files[0]) loadFile(e.target.files[0]);
      e.target.value = ""; // loading the same file again is a change too
    });
    $("sample").addEventListener("click", async () => {
      let text;
      try {
        const r = await fetch("sample.txt");
        if (!r.ok) throw new RequestError(r.status, null, r.headers.get("x-request-id"));
        text = await r.text();
      } catch (err) {
        setStatus("error", "The sample visit could not be loaded.", [err.message]);
        return;
      }
      const had = invalidate(null);
      $("transcript").value = text;
      loadedSegments = null;
      setStatus("stale", "Sample visit loaded (synthetic)." +
        (had ? " The suggestions for the previous transcript were removed." : "") + " Select Suggest codes.");
    });
  });
})();
