/** A cookie-keeping fetch client for the console (no JavaScript): what the security tests drive. */
import { url } from "./sandbox";

export interface Page {
  status: number;
  location: string | null;
  text: string;
  headers: Headers;
  setCookies: string[];
}

export class ConsoleClient {
  cookies = new Map<string, string>();
  constructor(readonly base = url()) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private async send(path: string, init: RequestInit): Promise<Page> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", this.cookieHeader());
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: "manual" });
    // Node's Headers has getSetCookie (the Workers types in tsconfig do not declare it).
    const setCookies = (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
    for (const c of setCookies) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, location: res.headers.get("location"), text: await res.text(), headers: res.headers, setCookies };
  }

  get(path: string): Promise<Page> {
    return this.send(path, { method: "GET" });
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.send(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** The `_csrf` value of the last form on a page. */
  static csrfOf(html: string): string {
    const m = [...html.matchAll(/name="_csrf" value="([^"]*)"/g)].pop();
    if (!m) throw new Error("no CSRF field on the page");
    return m[1]!;
  }

  /** Sign-in form → POST; returns the answer to the POST (a 303 on success). */
  async signIn(account: string, user: string | "root", password: string): Promise<Page> {
    const form = await this.get("/console/signin");
    const csrf = ConsoleClient.csrfOf(form.text);
    return this.post(
      "/console/signin",
      user === "root" ? { _csrf: csrf, account, root: "1", password } : { _csrf: csrf, account, username: user, password },
    );
  }

  /** A signed-in page's CSRF token (from the sign-out form of any page). */
  async csrf(path = "/console/home"): Promise<string> {
    return ConsoleClient.csrfOf((await this.get(path)).text);
  }
}
