// A message carried to the next page (warnings of a create, shown on the service's page).
let pending = null;

export function setFlash(message) {
  pending = message;
}

export function takeFlash() {
  const m = pending;
  pending = null;
  return m;
}
