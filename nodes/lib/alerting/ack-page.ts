/** The small HTML pages a signed link opens: a confirmation form (so link scanners that fetch every URL act on nothing), and the outcome. */
import { compileTemplate } from './template';

export interface PageView {
  title: string;
  message: string;
  ok: boolean;
  /** Present on the confirmation page. */
  form?: { token: string; action: string; alert: string; asset: string; severity: string; state: string };
}

const PAGE = compileTemplate(
  `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>{{title}}</title>
<style>body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em}.fail{color:#b00}textarea{width:100%}button{font-size:1.1em;padding:.4em 1.2em}</style></head>
<body><h1>{{title}}</h1>
<p{{^ok}} class="fail"{{/ok}}>{{message}}</p>
{{#form}}<p><b>{{alert}}</b><br>{{asset}} · {{severity}} · {{state}}</p>
<form method="post"><input type="hidden" name="t" value="{{token}}">
<p><label>Comment<br><textarea name="comment" rows="3" maxlength="1000"></textarea></label></p>
<p><button type="submit">{{action}}</button></p></form>{{/form}}
</body></html>`,
  'html',
);

export function renderPage(view: PageView): string {
  return PAGE.render(view);
}
