// Moved to profile/profile-paths.ts; this re-export goes once every command imports it from there.
export { profilePaths, type ProfilePaths } from '../profile/profile-paths.js';
