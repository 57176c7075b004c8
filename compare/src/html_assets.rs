//! The HTML report's inline style sheet and script.

/// The page's CSS.
pub(crate) const STYLE: &str = r#"
:root { --diff: #ffd8d3; --diff-line: #cf222e; --noise: #eaeef2; --noise-line: #8c959f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
header { background: #24292f; color: #fff; padding: 14px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { color: #d0d7de; font-size: 13px; }
main { padding: 16px 24px 48px; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: #cf222e; font-weight: 700; }
.verdict { font-size: 16px; font-weight: 700; margin: 12px 0; }
.verdict.ok { color: #1a7f37; } .verdict.failed { color: #cf222e; }
.controls { margin: 14px 0; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
.controls label { cursor: pointer; }
section.category { margin-top: 26px; }
section.category h2 { font-size: 18px; margin: 0 0 6px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.learned { background: #fff; border: 1px dashed var(--noise-line); padding: 6px 10px; margin: 8px 0; }
details.rec { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: 8px 0; }
details.rec > summary { padding: 7px 10px; cursor: pointer; }
details.rec > .body { padding: 4px 12px 12px; border-top: 1px solid #d0d7de; }
.badge { display: inline-block; min-width: 74px; text-align: center; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 700; color: #fff; }
.badge.equal { background: #1a7f37; } .badge.fixed { background: #0969da; } .badge.different { background: #bf8700; }
.badge.failed { background: #cf222e; } .badge.error { background: #8250df; } .badge.skipped { background: #6e7781; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.id { font-weight: 600; } .op { color: #57606a; } .msg { color: #57606a; margin: 6px 0; white-space: pre-wrap; }
table.diffs { width: 100%; margin: 6px 0; } table.diffs td.path { white-space: nowrap; }
table.diffs tr.noise td { color: #57606a; background: var(--noise); }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin-top: 8px; }
.sides h4 { margin: 4px 0; font-size: 13px; }
.sides pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 8px; margin: 0; overflow: auto; max-height: 520px; }
.mark-diff { background: var(--diff); outline: 1px solid var(--diff-line); }
.mark-noise { background: var(--noise); outline: 1px dashed var(--noise-line); }
.mark-na { background: #fff8c5; outline: 1px dotted #9a6700; }
table.diffs tr.not-comparable td { background: #fff8c5; }
.absent { color: #8c959f; font-style: italic; }
.equal-list { margin: 8px 0; } .equal-list code { margin-right: 10px; }
.problems { background: #fff; border: 1px solid #cf222e; padding: 6px 12px; }
"#;

/// The page's script: the status filters and the expand and collapse buttons.
pub(crate) const SCRIPT: &str = r#"
for (const box of document.querySelectorAll('input[data-status]')) {
  box.addEventListener('change', () => {
    for (const el of document.querySelectorAll('.rec[data-status="' + box.dataset.status + '"]')) el.hidden = !box.checked;
  });
}
document.getElementById('expand').addEventListener('click', () => { for (const d of document.querySelectorAll('details.rec')) d.open = true; });
document.getElementById('collapse').addEventListener('click', () => { for (const d of document.querySelectorAll('details.rec')) d.open = false; });
"#;
