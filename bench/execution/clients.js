// SDK clients for a platform started by platform-process.js.

/** A MesateeClient for `platform` (as reported by startPlatformProcess), trusting what the platform published. */
export function clientFor(sdk, platform) {
  const endpoints = { authenticationUrl: platform.authenticationUrl, frontendUrl: platform.frontendUrl };
  if (platform.clientDir && typeof sdk.MesateeClient.fromClientDir === "function")
    return sdk.MesateeClient.fromClientDir({ ...endpoints, clientDir: platform.clientDir });
  return new sdk.MesateeClient({ ...endpoints, ca: platform.ca });
}
