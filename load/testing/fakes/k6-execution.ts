// Fake of `k6/execution`: the VU identity comes from the shared state.
import { fake } from './state.ts';

const execution = {
  vu: {
    get idInTest() {
      return fake().vu.idInTest;
    },
    get iterationInScenario() {
      return fake().vu.iterationInScenario;
    },
  },
  scenario: { name: 'fake', iterationInTest: 0 },
};
export default execution;
