import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { defineConfig, parseEnv, ToInteger } from '@app/config';

class OrderEnv {
  /** Unpaid orders are cancelled (after asking WeChat Pay) this long after they were placed (tests use a few seconds). */
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(86_400)
  ORDER_PAY_TIMEOUT_S?: number;

  /** How often the sweeper looks for unpaid orders past their deadline whose timeout job was lost. */
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(5)
  @Max(3_600)
  ORDER_SWEEP_INTERVAL_S?: number;

}

export interface OrderConfig {
  payTimeoutS: number;
  sweepIntervalS: number;
}

export function loadOrderConfig(env: NodeJS.ProcessEnv): OrderConfig {
  const parsed = parseEnv(OrderEnv, env);
  return {
    payTimeoutS: parsed.ORDER_PAY_TIMEOUT_S ?? 900,
    sweepIntervalS: parsed.ORDER_SWEEP_INTERVAL_S ?? 60,
  };
}

export const orderConfig = defineConfig('order', loadOrderConfig);
