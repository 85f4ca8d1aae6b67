{#-
    Stripe amounts arrive as integers in the currency's minor units. The exponent of a
    currency is the number of digits after its decimal point as Stripe counts them
    (https://docs.stripe.com/currencies): never assume 100.
-#}

{#- Stripe's zero-decimal currencies. -#}
{% macro zero_decimal_currencies() -%}
    {{ return([
        'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA',
        'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
    ]) }}
{%- endmacro %}

{#- Stripe's three-decimal currencies. -#}
{% macro three_decimal_currencies() -%}
    {{ return(['BHD', 'JOD', 'KWD', 'OMR', 'TND']) }}
{%- endmacro %}

{#- The exponent (0, 2 or 3) of the ISO 4217 code in `currency_column`, in any case. -#}
{% macro currency_exponent(currency_column) -%}
    case
        when upper({{ currency_column }}) in ('{{ zero_decimal_currencies() | join("', '") }}') then 0
        when upper({{ currency_column }}) in ('{{ three_decimal_currencies() | join("', '") }}') then 3
        else 2
    end
{%- endmacro %}

{#-
    `amount_column` (an integer, or an exact decimal for fractions of a minor unit) in the
    minor units of `currency_column`, as an exact decimal in major units. Multiplying by an
    exact decimal factor, not dividing: DuckDB divides decimals as doubles.
-#}
{% macro minor_to_major(amount_column, currency_column) -%}
    cast(
        {{ amount_column }}
        * case {{ currency_exponent(currency_column) }}
            when 0 then 1.000
            when 3 then 0.001
            else 0.010
        end
        as {{ type_source_amount() }}
    )
{%- endmacro %}
