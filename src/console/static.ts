/**
 * The console's only static assets, hand-written and served from the Worker (no build step): the
 * style sheet and one small script (the policy editor's validation as you type). The script writes
 * findings with textContent only, never HTML.
 */
export const CONSOLE_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#16191f;background:#f2f3f3}
.top{display:flex;justify-content:space-between;align-items:center;background:#232f3e;color:#fff;padding:8px 16px}
.top a.brand{color:#fff;font-weight:700;text-decoration:none}.who{display:flex;gap:8px;align-items:center}
.who button{background:#545b64;color:#fff;border:0;padding:4px 10px;border-radius:3px;cursor:pointer}
.body{display:flex;min-height:calc(100vh - 44px)}nav{width:200px;background:#fff;border-right:1px solid #d5dbdb;padding:12px 0}
nav a{display:block;padding:6px 16px;color:#16191f;text-decoration:none}nav a:hover{background:#eaeded}
main{flex:1;padding:16px 24px;max-width:1100px}h1{font-size:22px;margin:4px 0 16px}h2{font-size:17px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #eaeded;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#fafafa}form.inline{display:inline}.card{background:#fff;border:1px solid #d5dbdb;border-radius:4px;padding:12px 16px;margin:0 0 16px}
label{display:block;margin:8px 0 2px;font-weight:600}input[type=text],input[type=password],input:not([type]),select,textarea{width:100%;max-width:480px;padding:6px;border:1px solid #aab7b8;border-radius:3px;font:inherit}
textarea{max-width:100%;font-family:ui-monospace,Menlo,Consolas,monospace;min-height:260px}
button,.button{background:#ec7211;color:#fff;border:0;padding:6px 14px;border-radius:3px;cursor:pointer;font-weight:600;margin-top:10px}
.notice{padding:8px 12px;border-radius:3px;margin:8px 0}.notice.error{background:#fde8e8;border:1px solid #d13212}.notice.ok{background:#e9f7ec;border:1px solid #1d8102}.notice.info{background:#f1faff;border:1px solid #0073bb}
.denied{background:#fff;border:1px solid #d13212;border-left:6px solid #d13212;padding:8px 16px;border-radius:3px}.denied h2{color:#d13212;margin:6px 0}
.cli{background:#fff;border:1px solid #d5dbdb;margin:16px 0;padding:6px 10px}.cli pre,pre.policy{background:#16191f;color:#e9ebed;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.explanation .verdict.allow{color:#1d8102}.explanation .verdict.explicitDeny,.explanation .verdict.implicitDeny{color:#d13212}
.tree li.policy-node{margin:6px 0}.policy-node.denies>.outcome{color:#d13212;font-weight:700}.policy-node.allows>.outcome{color:#1d8102;font-weight:700}
.statement.matched>strong{color:#1d8102}.statement.unmatched>strong{color:#687078}.kind{background:#eaeded;padding:1px 6px;border-radius:8px;font-size:12px}
.finding{margin:4px 0;padding:4px 8px;border-left:4px solid #aab7b8;background:#fff}.finding.ERROR{border-color:#d13212}.finding.SECURITY_WARNING{border-color:#ec7211}.finding.WARNING{border-color:#f2c94c}.finding.SUGGESTION{border-color:#0073bb}
.secret{font-family:ui-monospace,monospace;background:#fff8e5;padding:8px;border:1px dashed #ec7211}.signin{max-width:420px;margin:40px auto}.empty{color:#687078}
dl.request{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dl.request dt{font-weight:600}
`;

export const CONSOLE_JS = `
(function(){var f=document.querySelector("form[data-autosubmit]");if(f)f.submit();})();
(function(){
  var doc=document.getElementById("policy-doc");var out=document.getElementById("findings");
  if(!doc||!out)return;
  var url=doc.getAttribute("data-validate-url");var csrf=doc.getAttribute("data-csrf")||"";
  var type=doc.getAttribute("data-policy-type")||"IDENTITY_POLICY";var timer=null;var seq=0;
  function render(findings){
    out.textContent="";
    if(!findings.length){var ok=document.createElement("div");ok.className="finding ok";ok.textContent="No findings: the policy is valid.";out.appendChild(ok);return;}
    findings.forEach(function(f){var d=document.createElement("div");d.className="finding "+f.findingType;
      d.textContent=f.findingType+" — "+f.title+(f.statement!==undefined?" (statement "+(f.statement+1)+")":"")+": "+f.detail;out.appendChild(d);});
  }
  function check(){var mine=++seq;
    fetch(url,{method:"POST",credentials:"same-origin",headers:{"content-type":"application/json","x-csrf-token":csrf},body:JSON.stringify({document:doc.value,type:type})})
      .then(function(r){return r.json();}).then(function(j){if(mine===seq)render(j.findings||[]);}).catch(function(){});
  }
  doc.addEventListener("input",function(){clearTimeout(timer);timer=setTimeout(check,250);});
  check();
})();
`;
