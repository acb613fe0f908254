// Types of what eslint.config.mjs exports besides the config, for eslint/module-boundaries.spec.ts.
export declare const boundaryOptions: {
  forbidden: Array<{ from: string; to: string; because: string }>;
  features: string;
};
declare const config: unknown[];
export default config;
