{#-
    Conversion to the reporting currency (kpis.md "Conventions"): an amount converts at the
    FX rate of its event's date (invoice date, payment date, refund date, ...), the latest
    earlier published rate when that day has none (int_fx_daily_rates carries it to every
    day), and is flagged, never zero, when no rate converts it.
    Rates are units per US dollar, so

        amount_reporting = amount / units_per_usd(currency) x units_per_usd(reporting)

    rounded half away from zero to cents once per row, exactly. Usage, in a model with a
    CTE `fx_rates` reading int_fx_daily_rates (one rate per currency and day, equality joins:
    the fast way on every engine):

        select
            ...,
            {{ convert_to_reporting('facts.amount', 'fx') }} as amount_reporting,
            {{ is_missing_fx_rate('facts.amount', 'fx') }} as is_missing_fx_rate
        from facts
        {{ fx_daily_rate_joins('fx_rates', 'facts.currency_code', 'facts.event_date', 'fx') }}

-#}

{#-
    Two left joins on `rates` (a relation shaped as int_fx_daily_rates: currency_code,
    rate_date, units_per_usd): `<alias>` is the rate of `currency_column` on `date_column`
    (a date), `<alias>_reporting` the reporting currency's rate that day. Unmatched rows
    keep null rates.
-#}
{% macro fx_daily_rate_joins(rates, currency_column, date_column, alias) -%}
    left join {{ rates }} as {{ alias }}
        on {{ currency_column }} = {{ alias }}.currency_code
        and {{ date_column }} = {{ alias }}.rate_date
    left join {{ rates }} as {{ alias }}_reporting
        on {{ alias }}_reporting.currency_code = '{{ var("reporting_currency") }}'
        and {{ date_column }} = {{ alias }}_reporting.rate_date
{%- endmacro %}

{#-
    `amount` (an exact decimal, at most 6 decimals as type_source_amount) in the reporting
    currency with the rates joined by fx_daily_rate_joins under `alias`, as cents (type_money);
    null when the amount or a rate is missing.

    Exact on every engine: DuckDB divides decimals as doubles, which would round a
    converted 10.005 down to 10.00. With a = |amount|, r = the reporting rate and u = the
    currency's rate, each scaled by 10^6 to an integer, the amount in cents is a x r / (u x
    10^4), and rounding it half up is floor((2 a r + u 10^4) / (2 u 10^4)), an integer
    division of non-negative integers; the sign is applied after.
-#}
{% macro convert_to_reporting(amount, alias) -%}
    {%- set big = type_exact_integer() -%}
    {%- set scaled_amount = 'cast(abs(' ~ amount ~ ') * 1000000 as ' ~ big ~ ')' -%}
    {%- set scaled_rate = 'cast(' ~ alias ~ '.units_per_usd * 1000000 as ' ~ big ~ ')' -%}
    {%- set scaled_reporting_rate = 'cast(' ~ alias ~ '_reporting.units_per_usd * 1000000 as ' ~ big ~ ')' -%}
    {#- The outer cast keeps the type sized on PostgreSQL, where a case drops it. #}
    cast(
        case
            when {{ amount }} is not null
                and {{ alias }}.units_per_usd is not null
                and {{ alias }}_reporting.units_per_usd is not null
                then case when {{ amount }} < 0 then -1 else 1 end
                    * {{ integer_floor_divide(
                        '2 * ' ~ scaled_amount ~ ' * ' ~ scaled_reporting_rate
                            ~ ' + ' ~ scaled_rate ~ ' * 10000',
                        '2 * ' ~ scaled_rate ~ ' * 10000'
                    ) }}
                    * 0.01
        end
        as {{ type_money() }}
    )
{%- endmacro %}

{#- True when `amount` is set but a rate to convert it is missing (see fx_daily_rate_joins). -#}
{% macro is_missing_fx_rate(amount, alias) -%}
    (
        {{ amount }} is not null
        and ({{ alias }}.units_per_usd is null or {{ alias }}_reporting.units_per_usd is null)
    )
{%- endmacro %}

{#- An integer type wide enough for products of two scaled amounts (about 10^30). -#}
{% macro type_exact_integer() -%}
    {{ return(adapter.dispatch('type_exact_integer', 'sales_tracker')()) }}
{%- endmacro %}

{% macro duckdb__type_exact_integer() -%}
    hugeint
{%- endmacro %}

{% macro default__type_exact_integer() -%}
    numeric
{%- endmacro %}

{#- floor(numerator / denominator) of two non-negative integers, exactly. -#}
{% macro integer_floor_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_floor_divide', 'sales_tracker')(numerator, denominator)) }}
{%- endmacro %}

{% macro duckdb__integer_floor_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{#- PostgreSQL's div() truncates toward zero: the floor for non-negative operands. -#}
{% macro default__integer_floor_divide(numerator, denominator) -%}
    div({{ numerator }}, {{ denominator }})
{%- endmacro %}
