import { IsInt, IsOptional, IsUrl, Max, Min } from 'class-validator';
import { defineConfig, parseEnv, ToInteger } from '@app/config';

class OrderEnv {
  /** Unpaid orders are cancelled (after asking WeChat Pay) this long after they were placed. */
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(60)
  @Max(86_400)
  ORDER_PAY_TIMEOUT_S?: number;

  /** How often the sweeper looks for unpaid orders past their deadline whose timeout job was lost. */
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(5)
  @Max(3_600)
  ORDER_SWEEP_INTERVAL_S?: number;

  /** The public base URL WeChat Pay calls back (notify_url = base + /api/v1/payments/wechat/notify). */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'ORDER_NOTIFY_BASE_URL must be an http(s) URL' })
  ORDER_NOTIFY_BASE_URL?: string;
}

export interface OrderConfig {
  payTimeoutS: number;
  sweepIntervalS: number;
  notifyBaseUrl: string;
}

export function loadOrderConfig(env: NodeJS.ProcessEnv): OrderConfig {
  const parsed = parseEnv(OrderEnv, env);
  return {
    payTimeoutS: parsed.ORDER_PAY_TIMEOUT_S ?? 900,
    sweepIntervalS: parsed.ORDER_SWEEP_INTERVAL_S ?? 60,
    notifyBaseUrl: (parsed.ORDER_NOTIFY_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
  };
}

export const orderConfig = defineConfig('order', loadOrderConfig);
