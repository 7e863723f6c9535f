// Preloaded into Learning Locker's statements service (`node -r ./bind-localhost.js …`) by
// Carrel's tests: the service listens on every interface and has no setting for it, so this
// makes every server it starts listen on BIND_HOST (127.0.0.1 unless set) instead.
"use strict";
const net = require("net");
const host = process.env.BIND_HOST || "127.0.0.1";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || typeof args[0] === "string") {
    const port = args[0];
    const callback = args.find((arg) => typeof arg === "function");
    return listen.call(this, { port: Number(port), host }, callback);
  }
  if (args[0] && typeof args[0] === "object" && args[0].host === undefined) {
    args[0] = { ...args[0], host };
  }
  return listen.apply(this, args);
};
