import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { applyThemeHint } from "./lib/theme";

// Before anything renders: the theme chosen last time (the shell applies the saved settings as
// soon as it has read them), so a learner who chose dark never sees a light flash.
applyThemeHint();

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

export default mount(App, { target });
