{#-
    The contact properties whose history the lead measures are rebuilt from: the lead
    source (a contact's original source is its earliest value), the lifecycle stage and
    the owner (a lead's response time is attributed to its owner at the time).
-#}
{%- set tracked_properties = [
    'lead_source',
    'hs_analytics_source',
    'lifecyclestage',
    'hubspot_owner_id',
] -%}

with

contacts as (

    {{ raw_table('crm', 'contacts') }}

),

changes as (

    {{ crm_property_history('contacts', 'contact_id', tracked_properties) }}

),

keyed as (

    select
        {{ crm_property_change_id('contact_id') }} as property_change_id,
        *

    from changes

)

select * from keyed
