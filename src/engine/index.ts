/** What the rest of the server uses of the MediaMTX manager. */
export { createEngineManager, type EngineManager, type EngineStatus } from './engine.js';
