// swf_ruffle.mjs - load SWF files in the Ruffle player (headless Chromium
// via puppeteer-core) and report, per file, whether it loaded, the metadata
// Ruffle read, and whether the picture changes over time (it plays).
// Usage: node swf_ruffle.mjs RUFFLE_MODULES_DIR CHROMIUM FILE.swf...
// Prints one JSON line per file; exits 1 if any file did not load.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [modules, chromium, ...files] = process.argv.slice(2);
const require = createRequire(path.join(modules, "x.js"));
const puppeteer = require("puppeteer-core");
const ruffleDir = path.dirname(require.resolve("@ruffle-rs/ruffle/package.json"));

// A static server on 127.0.0.1: the page, Ruffle's files, the SWF files.
const page_html = `<!doctype html><html><body style="margin:0">
<script src="/ruffle/ruffle.js"></script><div id="c"></div></body></html>`;
const server = http.createServer((req, res) => {
  const u = decodeURIComponent(req.url.split("?")[0]);
  let f = null, type = "application/octet-stream";
  if (u === "/") { res.writeHead(200, { "content-type": "text/html" }); return res.end(page_html); }
  if (u.startsWith("/ruffle/")) f = path.join(ruffleDir, path.basename(u));
  if (u.startsWith("/swf/")) { f = files[Number(path.basename(u, ".swf"))]; type = "application/x-shockwave-flash"; }
  if (f && f.endsWith(".js")) type = "text/javascript";
  if (f && f.endsWith(".wasm")) type = "application/wasm";
  if (!f || !fs.existsSync(f)) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { "content-type": type });
  fs.createReadStream(f).pipe(res);
});
await new Promise(r => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await puppeteer.launch({ executablePath: chromium, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--use-gl=swiftshader", "--autoplay-policy=no-user-gesture-required"] });
let bad = 0;
for (let i = 0; i < files.length; i++) {
  const page = await browser.newPage();
  await page.setViewport({ width: 900, height: 700 });
  await page.goto(base + "/");
  const result = await page.evaluate(async (url) => {
    const ruffle = window.RufflePlayer.newest();
    const player = ruffle.createPlayer();
    player.style.width = "800px"; player.style.height = "600px";
    document.getElementById("c").appendChild(player);
    const meta = new Promise((ok) => player.addEventListener("loadedmetadata", () => ok(true)));
    const timeout = new Promise((ok) => setTimeout(() => ok(false), 15000));
    try {
      await player.load({ url, autoplay: "on", unmuteOverlay: "hidden", splashScreen: false, letterbox: "off" });
    } catch (e) { return { loaded: false, error: String(e) }; }
    const loaded = await Promise.race([meta, timeout]);
    return { loaded, metadata: player.metadata };
  }, `/swf/${i}.swf`);
  // Two screenshots 700 ms apart: an animation must change the picture.
  let changes = null;
  if (result.loaded) {
    await new Promise(r => setTimeout(r, 800));
    const a = await page.screenshot({ clip: { x: 0, y: 0, width: 800, height: 600 } });
    await new Promise(r => setTimeout(r, 700));
    const b = await page.screenshot({ clip: { x: 0, y: 0, width: 800, height: 600 } });
    changes = Buffer.compare(a, b) !== 0;
    // RUFFLE_SHOTS=DIR keeps the second screenshot of each file to look at.
    if (process.env.RUFFLE_SHOTS) fs.writeFileSync(path.join(process.env.RUFFLE_SHOTS, `${i}.png`), b);
  }
  if (!result.loaded) bad++;
  console.log(JSON.stringify({ file: files[i], ...result, picture_changes: changes }));
  await page.close();
}
await browser.close();
server.close();
process.exit(bad ? 1 : 0);
