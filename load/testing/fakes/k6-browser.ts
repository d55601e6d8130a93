// Fake of `k6/browser`, enough for the browser scenario to load outside k6 (its flow is exercised
// for real by the integration test with chromium).
export const browser = {
  newPage(): Promise<never> {
    return Promise.reject(new Error('k6/browser is not available outside k6'));
  },
  newContext(): Promise<never> {
    return Promise.reject(new Error('k6/browser is not available outside k6'));
  },
};
export default { browser };
