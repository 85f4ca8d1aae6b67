{#-
    Shared settings and SQL of identity resolution (which CRM company a Stripe customer or
    an email address belongs to) and of the activity facts.
-#}

{#-
    Free-mail domains (the dbt var `free_email_domains`, lower case): an address at one of
    them says nothing about its company, so they never match a customer by domain.
-#}
{% macro free_email_domains() -%}
    {{ return(var('free_email_domains', [
        'gmail.com', 'googlemail.com',
        'yahoo.com', 'yahoo.co.id', 'yahoo.co.jp', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de',
        'ymail.com', 'rocketmail.com',
        'outlook.com', 'hotmail.com', 'hotmail.fr', 'hotmail.de', 'hotmail.co.uk',
        'live.com', 'msn.com',
        'icloud.com', 'me.com', 'mac.com',
        'aol.com', 'proton.me', 'protonmail.com', 'zoho.com', 'mail.com',
        'gmx.de', 'gmx.net', 'web.de', 't-online.de',
        'orange.fr', 'free.fr', 'laposte.net', 'wanadoo.fr', 'sfr.fr',
        'yandex.com', 'yandex.ru', 'mail.ru',
        'qq.com', '163.com', '126.com', 'naver.com', 'docomo.ne.jp', 'ezweb.ne.jp',
    ])) }}
{%- endmacro %}

{#-
    Call disposition labels that count as a connected call (the dbt var
    `call_connected_dispositions`, kpis.md "call connect rate"), compared trimmed and
    case-insensitively.
-#}
{% macro call_connected_dispositions() -%}
    {{ return(var('call_connected_dispositions', ['Connected'])) }}
{%- endmacro %}

{#- `values` (a list of strings) as a SQL list of lower-cased literals: ('a', 'b'). -#}
{% macro lower_literal_list(values) -%}
    (
    {%- for value in values -%}
        '{{ value | string | trim | lower | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%}
    )
{%- endmacro %}

{#- True when the domain in `expression` (lower case) is a free-mail domain. -#}
{% macro is_free_email_domain(expression) -%}
    coalesce({{ expression }} in {{ lower_literal_list(free_email_domains()) }}, false)
{%- endmacro %}

{#-
    A web domain as HubSpot users type it, reduced to the bare host: lower case, without
    scheme, `www.`, path, port or trailing dot; null when empty.
-#}
{% macro bare_domain(expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace(lower(trim({{ expression }})), '^[a-z]+://', ''),
                '[/:?#].*$', ''
            ),
            '^www\.|\.$', '', 'g'
        ),
        ''
    )
{%- endmacro %}
