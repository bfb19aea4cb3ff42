// scribeplugin note view: paste a transcript, see codes with their evidence highlighted,
// in-note prompts by note section and warnings; accept / dismiss / override posts feedback.
// Plain browser JavaScript, no build step, nothing loaded from elsewhere. Transcript text is
// only ever inserted as text nodes, never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SECTIONS = ["chief_complaint", "hpi", "ros", "exam", "imaging", "assessment", "plan"];
  const SECTION_TITLES = {
    chief_complaint: "Chief complaint", hpi: "History of present illness",
    ros: "Review of systems", exam: "Examination", imaging: "Imaging",
    assessment: "Assessment", plan: "Plan",
  };
  const REASONS = [
    ["not-supported", "Not supported by the visit"],
    ["already-documented", "Already documented"],
    ["different-code", "Coded differently"],
    ["not-relevant", "Not relevant to this visit"],
  ];
  const PALETTE = 6;

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

  function setStatus(text, isError) {
    const s = $("status");
    s.textContent = text;
    s.className = isError ? "error" : "";
  }

  function headers() {
    const h = { "content-type": "application/json" };
    const key = $("apikey").value.trim();
    if (key) h.authorization = "Bearer " + key;
    return h;
  }

  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: headers(), body: JSON.stringify(body) });
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      const msg = data && data.error ? data.error.message : "HTTP " + r.status;
      throw new Error(msg);
    }
    return data;
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

  // -- highlighting -------------------------------------------------------------------------

  // spans: [{start, end, code, color}] in code points. Overlaps are split into pieces that
  // name every code covering them.
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
      const codes = [...new Set(covering.map((s) => s.code))];
      pre.append(el("mark", {
        class: "evidence c" + covering[0].color,
        title: "evidence for " + codes.join(", "),
        "data-codes": codes.join(" "),
        "data-start": a,
      }, piece));
    }
  }

  function flashEvidence(start) {
    const marks = [...document.querySelectorAll("#highlighted mark")];
    const mark = marks.find((m) => Number(m.dataset.start) >= start) || marks[0];
    if (!mark) return;
    mark.scrollIntoView({ block: "center", behavior: "smooth" });
    mark.classList.add("flash");
    setTimeout(() => mark.classList.remove("flash"), 1500);
  }

  // -- feedback -----------------------------------------------------------------------------

  function feedbackControls(requestId, target, targetId, allowOverride) {
    const box = el("div", { class: "actions", "data-target": target, "data-target-id": targetId });
    const done = (outcome, extra) => {
      const label = { accepted: "Accepted", dismissed: "Dismissed", overridden: "Overridden" };
      box.replaceChildren(el("span", { class: "decided " + outcome, "data-testid": "decided" },
        label[outcome] + (extra ? " · " + extra : "") + " ✓"));
    };
    const send = async (outcome, more) => {
      const body = Object.assign({
        request_id: requestId, target: target, target_id: targetId, outcome: outcome,
        source: "ui",
      }, more || {});
      for (const b of box.querySelectorAll("button")) b.disabled = true;
      try {
        await post("/v1/feedback", body);
        done(outcome, more && more.override_code);
      } catch (e) {
        for (const b of box.querySelectorAll("button")) b.disabled = false;
        setStatus("Feedback not saved: " + e.message, true);
      }
    };
    const reasonForm = (outcome) => {
      const select = el("select", { "aria-label": "Reason" },
        REASONS.map(([v, t]) => el("option", { value: t }, t)));
      const code = outcome === "overridden"
        ? el("input", { placeholder: "code used instead", size: 10, "aria-label": "Code used instead" })
        : null;
      const comment = el("input", { placeholder: "comment (optional)", size: 18, "aria-label": "Comment" });
      box.replaceChildren(...[code, select, comment].filter(Boolean), el("button", {
        type: "button", "data-action": "send",
        onclick: () => {
          const more = { reason: [select.value, comment.value.trim()].filter(Boolean).join(": ") };
          if (code && code.value.trim()) more.override_code = code.value.trim();
          send(outcome, more);
        },
      }, outcome === "overridden" ? "Send override" : "Send dismissal"),
      el("button", { type: "button", onclick: () => box.replaceWith(feedbackControls(requestId, target, targetId, allowOverride)) }, "Cancel"));
    };
    box.append(
      el("button", { type: "button", "data-action": "accept", onclick: () => send("accepted") }, "Accept"),
      el("button", { type: "button", "data-action": "dismiss", onclick: () => reasonForm("dismissed") }, "Dismiss"),
    );
    if (allowOverride) {
      box.append(el("button", { type: "button", "data-action": "override", onclick: () => reasonForm("overridden") }, "Override"));
    }
    return box;
  }

  // -- rendering ----------------------------------------------------------------------------

  function cites(citations) {
    if (!citations || !citations.length) return null;
    return el("div", { class: "cites" }, "Guidance: ",
      citations.map((c, i) => [i ? ", " : "", el("code", { title: c.text }, c.ref)]));
  }

  function render(res, text) {
    $("results").hidden = false;
    $("codeset").textContent = res.code_set;
    const color = {};
    res.codes.forEach((c, i) => { color[c.code] = i % PALETTE; });
    const spans = [];
    for (const c of res.codes) {
      for (const e of c.evidence) spans.push({ start: e.start, end: e.end, code: c.code, color: color[c.code] });
    }
    renderHighlighted(text, spans);

    const notices = $("notices");
    notices.replaceChildren(...res.notices.map((n) => el("div", { class: "notice", "data-testid": "notice" }, n)));

    const codes = $("codes");
    codes.replaceChildren();
    if (!res.codes.length) codes.append(el("li", { class: "empty" }, "No code is supported by this transcript."));
    for (const c of res.codes) {
      codes.append(el("li", { class: "item", "data-testid": "code-" + c.code },
        el("div", { class: "head" },
          el("span", { class: "swatch c" + color[c.code] }),
          el("span", { class: "code" }, c.code), el("span", {}, c.display),
          el("span", { class: "badge " + c.status }, c.status.replace("_", " ")),
          el("span", { class: "badge" }, "confidence " + c.confidence.toFixed(2)),
          c.billable ? null : el("span", { class: "badge warning" }, "not billable")),
        el("div", { class: "small" }, c.rationale),
        el("ul", { class: "quotes" }, c.evidence.map((e) => el("li", {},
          el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); flashEvidence(e.start); } },
            "“" + e.text + "”"), " ", el("span", { class: "muted small" }, e.speaker)))),
        cites(c.citations),
        feedbackControls(res.request_id, "code", c.code, true)));
    }

    const prompts = $("prompts");
    prompts.replaceChildren();
    if (!res.prompts.length) prompts.append(el("p", { class: "empty" }, "The note already supports the codes: no prompt."));
    const bySection = {};
    for (const p of res.prompts) (bySection[p.note_section] = bySection[p.note_section] || []).push(p);
    const order = SECTIONS.filter((s) => bySection[s]).concat(Object.keys(bySection).filter((s) => !SECTIONS.includes(s)));
    for (const s of order) {
      prompts.append(el("section", { class: "note-section", "data-section": s },
        el("h3", {}, SECTION_TITLES[s] || s),
        el("ul", { class: "items" }, bySection[s].map((p) => el("li", {
          class: "item severity-" + p.severity, "data-testid": "prompt-" + p.id,
        },
          el("div", { class: "head" }, el("span", { class: "badge " + p.severity }, p.severity),
            p.code ? el("span", { class: "code" }, p.code) : null),
          el("div", {}, p.text), cites(p.citations),
          feedbackControls(res.request_id, "prompt", p.id, false))))));
    }

    const warnings = $("warnings");
    warnings.replaceChildren();
    if (!res.warnings.length) warnings.append(el("li", { class: "empty" }, "No coding pitfall applies."));
    for (const w of res.warnings) {
      warnings.append(el("li", { class: "item warning", "data-testid": "warning-" + w.rule },
        el("div", {}, w.message),
        el("div", { class: "small muted" }, "Concerns " + w.codes.join(", ") +
          (w.alternatives.length ? " · consider " + w.alternatives.join(", ") : "")),
        cites(w.citations),
        feedbackControls(res.request_id, "warning", w.rule, false)));
    }
    const t = res.timings_ms && res.timings_ms.total;
    $("engine").textContent = "Drafter " + res.engine.drafter + (res.engine.degraded ? " (degraded)" : "") +
      " · index " + res.engine.index_id + (t !== undefined ? " · " + Math.round(t) + " ms" : "") +
      " · request " + res.request_id;
  }

  // -- events -------------------------------------------------------------------------------

  async function suggest() {
    const text = $("transcript").value;
    if (!text.trim()) { setStatus("Paste or load a transcript first.", true); return; }
    let transcript = text, shown = text;
    if (loadedSegments && text === loadedSource) {
      transcript = loadedSegments;
      shown = canonicalOfSegments(loadedSegments);
    }
    const body = { transcript: transcript };
    if ($("dos").value) body.context = { date_of_service: $("dos").value };
    $("suggest").disabled = true;
    setStatus("Working…");
    try {
      const res = await post("/v1/suggest", body);
      render(res, shown);
      setStatus(res.codes.length + " code(s), " + res.prompts.length + " prompt(s), " +
        res.warnings.length + " warning(s).");
    } catch (e) {
      setStatus(e.message, true);
    } finally {
      $("suggest").disabled = false;
    }
  }

  async function loadFile(file) {
    const text = await file.text();
    loadedSegments = null;
    loadedSource = null;
    if (/\.json$/i.test(file.name)) {
      try {
        const data = JSON.parse(text);
        const segs = Array.isArray(data) ? data : data.transcript;
        if (Array.isArray(segs)) {
          loadedSegments = segs;
          loadedSource = canonicalOfSegments(segs);
          $("transcript").value = loadedSource;
          setStatus("Loaded " + segs.length + " segments from " + file.name + ".");
          return;
        }
        if (typeof segs === "string") { $("transcript").value = segs; return; }
      } catch (e) {
        setStatus(file.name + " is not valid JSON: " + e.message, true);
        return;
      }
    }
    $("transcript").value = text;
    setStatus("Loaded " + file.name + ".");
  }

  document.addEventListener("DOMContentLoaded", () => {
    const saved = sessionStorage.getItem("scribeplugin.apikey");
    if (saved) $("apikey").value = saved;
    $("apikey").addEventListener("change", () => sessionStorage.setItem("scribeplugin.apikey", $("apikey").value));
    $("suggest").addEventListener("click", suggest);
    $("file").addEventListener("change", (e) => { if (e.target.files[0]) loadFile(e.target.files[0]); });
    $("sample").addEventListener("click", async () => {
      const r = await fetch("sample.txt");
      $("transcript").value = await r.text();
      loadedSegments = null;
      setStatus("Sample loaded (synthetic visit).");
    });
  });
})();
