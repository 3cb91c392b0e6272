/** What the rest of the server uses of the go2rtc manager. */
export { createGo2rtcManager, type Go2rtcManager } from './manager.js';
